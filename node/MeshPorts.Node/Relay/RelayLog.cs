using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Relay;

// Never logs tickets, keys, signatures or payloads: relay ids, addresses and pins (public) only.
internal static partial class RelayLog
{
    [LoggerMessage(1, LogLevel.Information, "Relay {RelayId} at {Url}: connected ({Transport})")]
    private static partial void ConnectedCore(ILogger logger, string relayId, string url, string transport);

    public static void Connected(ILogger logger, string relayId, string url, bool udp) =>
        ConnectedCore(logger, relayId, url, udp ? "UDP session offered" : "TLS only");

    [LoggerMessage(2, LogLevel.Warning, "Relay {RelayId} at {Url}: cannot connect ({Kind}: {Detail}); retrying with backoff")]
    public static partial void ConnectFailed(ILogger logger, string relayId, string url, string kind, string detail);

    [LoggerMessage(3, LogLevel.Warning, "Relay {RelayId} at {Url} presented {Presented} but the coordinator pins {Pinned}; not connecting")]
    public static partial void PinMismatch(ILogger logger, string relayId, string url, string presented, string pinned);

    [LoggerMessage(4, LogLevel.Information, "Relay {RelayId}: disconnected ({Reason}); reconnecting")]
    public static partial void Disconnected(ILogger logger, string relayId, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Relay {RelayId}: UDP endpoint {Endpoint} does not resolve to HOST:PORT; TLS only")]
    public static partial void BadUdpEndpoint(ILogger logger, string relayId, string endpoint);

    [LoggerMessage(6, LogLevel.Warning, "Relay ticket: the coordinator lists relay {RelayId}, but {Reason}; skipping it")]
    public static partial void BadRelayEntry(ILogger logger, string relayId, string reason);

    [LoggerMessage(7, LogLevel.Warning, "Relay ticket: cannot fetch one ({Detail}); retrying in {DelaySeconds:F0}s")]
    public static partial void TicketFailed(ILogger logger, string detail, double delaySeconds);

    [LoggerMessage(8, LogLevel.Debug, "Relay ticket: {Relays} relays, good until {NotAfter:O}")]
    public static partial void TicketFetched(ILogger logger, int relays, DateTimeOffset notAfter);

    [LoggerMessage(9, LogLevel.Warning, "Relay ticket: the coordinator's answer does not parse; retrying")]
    public static partial void TicketMalformed(ILogger logger);
}
