using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.Hosting;

internal static partial class HostingLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "coordinator listening on {Listen}, public URL {Url}, certificate pin {Pin}")]
    public static partial void Listening(ILogger logger, string listen, string url, string pin);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "coordinator stopping: ending {Streams} Watch streams so their nodes reconnect")]
    public static partial void Stopping(ILogger logger, long streams);
}
