using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Names;

internal static partial class NameLog
{
    [LoggerMessage(1, LogLevel.Information, "Answering DNS for *.{Suffix} on {Addresses} port {Port}")]
    public static partial void Serving(ILogger logger, string suffix, string addresses, int port);

    [LoggerMessage(2, LogLevel.Warning, "Cannot serve DNS on {Address} port {Port} ({Reason}); names stay off on that address. Stop what holds the port on every address, or run up with --no-dns")]
    public static partial void BindFailed(ILogger logger, string address, int port, string reason);

    [LoggerMessage(3, LogLevel.Debug, "Names now: {Count} under .{Suffix}")]
    public static partial void ZoneUpdated(ILogger logger, int count, string suffix);

    [LoggerMessage(4, LogLevel.Warning, "DNS receive on {Address} failed: {Reason}")]
    public static partial void ReceiveFailed(ILogger logger, string address, string reason);

    [LoggerMessage(5, LogLevel.Information, "Split DNS: {Interface} answers ~{Suffix} via {Address} (systemd-resolved)")]
    public static partial void SplitDnsSet(ILogger logger, string @interface, string suffix, string address);

    [LoggerMessage(6, LogLevel.Warning, "Split DNS for {Interface} not set: {Reason}. Names still answer on the overlay address; see docs/node.md \"Names\" for what to add")]
    public static partial void SplitDnsFailed(ILogger logger, string @interface, string reason);

    [LoggerMessage(7, LogLevel.Information, "systemd-resolved is not running: add the name server by hand (docs/node.md \"Names\"): {Address} for ~{Suffix}")]
    public static partial void NoResolved(ILogger logger, string address, string suffix);
}
