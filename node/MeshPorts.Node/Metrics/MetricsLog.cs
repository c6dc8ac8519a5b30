using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Metrics;

internal static partial class MetricsLog
{
    [LoggerMessage(1, LogLevel.Information, "Serving Prometheus metrics on http://{Endpoint}/metrics")]
    public static partial void Listening(ILogger logger, string endpoint);

    [LoggerMessage(2, LogLevel.Debug, "Metrics connection from {Remote} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, string remote, string reason);

    [LoggerMessage(3, LogLevel.Warning, "Building the metrics failed: {Reason}")]
    public static partial void RenderFailed(ILogger logger, string reason);
}
