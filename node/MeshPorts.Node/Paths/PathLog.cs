using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Paths;

internal static partial class PathLog
{
    [LoggerMessage(1, LogLevel.Information, "Peer {NodeId}: through its relay")]
    public static partial void Relayed(ILogger logger, string nodeId);

    [LoggerMessage(2, LogLevel.Information, "Peer {NodeId}: direct at {Endpoint} (probe answered: {Verified})")]
    public static partial void Direct(ILogger logger, string nodeId, string endpoint, bool verified);

    [LoggerMessage(3, LogLevel.Warning, "Path schedule step failed: {Reason}")]
    public static partial void TickFailed(ILogger logger, string reason);
}
