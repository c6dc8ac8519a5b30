using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Daemon;

internal static partial class DaemonLog
{
    [LoggerMessage(1, LogLevel.Information, "{Interface} is up as {Name}: {Ipv4} {Ipv6}, public key {PublicKey}, UDP port {Port}")]
    public static partial void Up(ILogger logger, string @interface, string name, string ipv4, string ipv6, string publicKey, ushort port);

    [LoggerMessage(2, LogLevel.Information, "Exposing {Spec} on the overlay only")]
    public static partial void Exposing(ILogger logger, string spec);

    [LoggerMessage(3, LogLevel.Information, "Shutting down ({Why})")]
    public static partial void Stopping(ILogger logger, string why);

    [LoggerMessage(4, LogLevel.Information, "{Interface} is down; nothing left behind")]
    public static partial void Down(ILogger logger, string @interface);

    [LoggerMessage(5, LogLevel.Debug, "Control request failed: {Reason}")]
    public static partial void ControlRequestFailed(ILogger logger, string reason);

    [LoggerMessage(6, LogLevel.Error, "{Message}")]
    public static partial void Fatal(ILogger logger, string message);

    [LoggerMessage(7, LogLevel.Information, "Advertising endpoints {Endpoints}")]
    public static partial void Endpoints(ILogger logger, string endpoints);

    [LoggerMessage(8, LogLevel.Warning, "Could not turn forwarding off on {Interface} ({Setting}: {Reason}); peers are still held to this node's overlay addresses by the filter, but set it to 0 by hand for defence in depth")]
    public static partial void ForwardingNotDisabled(ILogger logger, string @interface, string setting, string reason);

    [LoggerMessage(9, LogLevel.Warning, "Could not resolve --endpoint for discovery ({Reason}); reporting the other candidates")]
    public static partial void EndpointsUnresolved(ILogger logger, string reason);
}
