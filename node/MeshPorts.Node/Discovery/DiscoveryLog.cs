using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Discovery;

internal static partial class DiscoveryLog
{
    [LoggerMessage(1, LogLevel.Information, "STUN server {Server} does not answer; asking it again every round, quietly")]
    public static partial void ServerSilent(ILogger logger, string server);

    [LoggerMessage(2, LogLevel.Information, "STUN server {Server} answers again")]
    public static partial void ServerBack(ILogger logger, string server);

    [LoggerMessage(3, LogLevel.Warning, "STUN server {Server} does not resolve ({Reason}); trying again next round")]
    public static partial void ServerUnresolved(ILogger logger, string server, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Behind a symmetric NAT: direct paths need the peer to be reachable; relays will be used (STUN servers saw {Mapped})")]
    public static partial void SymmetricNat(ILogger logger, string mapped);

    [LoggerMessage(5, LogLevel.Information, "Reachable at {Candidates}")]
    public static partial void Candidates(ILogger logger, string candidates);

    [LoggerMessage(6, LogLevel.Warning, "Could not report endpoints to the coordinator ({Reason}); retrying in {Backoff}")]
    public static partial void ReportFailed(ILogger logger, string reason, string backoff);

    [LoggerMessage(7, LogLevel.Debug, "Endpoint report failed again ({Reason}); retrying in {Backoff}")]
    public static partial void ReportFailedAgain(ILogger logger, string reason, string backoff);

    [LoggerMessage(8, LogLevel.Information, "Endpoint reports reach the coordinator again")]
    public static partial void ReportRecovered(ILogger logger);

    [LoggerMessage(9, LogLevel.Warning, "Relay UDP endpoint '{Endpoint}' is not HOST:PORT; not asked for STUN")]
    public static partial void BadRelayEndpoint(ILogger logger, string endpoint);

    [LoggerMessage(10, LogLevel.Error, "Endpoint discovery stopped: {Reason}")]
    public static partial void Crashed(ILogger logger, string reason);
}
