using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Agent;

internal static partial class AgentLog
{
    [LoggerMessage(1, LogLevel.Information, "Connected to the coordinator; applied serial {Serial}: {Peers} peers, {Rules} rules")]
    public static partial void Snapshot(ILogger logger, ulong serial, int peers, int rules);

    [LoggerMessage(2, LogLevel.Debug, "Applied serial {Serial}: +{Added} peers, {Rekeyed} re-keyed, -{Removed}, {Cut} flows cut")]
    public static partial void Delta(ILogger logger, ulong serial, int added, int rekeyed, int removed, int cut);

    [LoggerMessage(3, LogLevel.Warning, "Coordinator unreachable ({Reason}); keeping what is still valid, retrying in {Delay}")]
    public static partial void Disconnected(ILogger logger, string reason, string delay);

    [LoggerMessage(20, LogLevel.Warning, "Coordinator {From} unreachable ({Reason}); keeping what is still valid, trying replica {To} in {Delay}")]
    public static partial void FailingOver(ILogger logger, string reason, string from, string to, string delay);

    [LoggerMessage(4, LogLevel.Warning, "Serial gap after {Serial}; asking for a fresh snapshot")]
    public static partial void Gap(ILogger logger, ulong serial);

    [LoggerMessage(8, LogLevel.Warning, "Ack of serial {Serial} failed: {Reason}")]
    public static partial void AckFailed(ILogger logger, ulong serial, string reason);

    [LoggerMessage(9, LogLevel.Information, "Reported {Groups} denied-flow groups")]
    public static partial void DeniedReported(ILogger logger, int groups);

    [LoggerMessage(10, LogLevel.Warning, "Denied-flow report failed ({Reason}); {Groups} groups dropped")]
    public static partial void DeniedReportFailed(ILogger logger, string reason, int groups);

    [LoggerMessage(11, LogLevel.Warning, "{Count} entries from the coordinator were malformed and left out (fail closed)")]
    public static partial void Rejected(ILogger logger, int count);

    [LoggerMessage(14, LogLevel.Warning, "Serial {Serial} could not be applied ({Reason}); keeping the current state and asking for a fresh snapshot")]
    public static partial void ApplyFailed(ILogger logger, ulong serial, string reason);

    [LoggerMessage(15, LogLevel.Information, "Restored the mesh state of serial {Serial} from the state dir ({Peers} peers still valid) until the coordinator answers")]
    public static partial void RestoredNetmap(ILogger logger, ulong serial, int peers);

    [LoggerMessage(16, LogLevel.Warning, "Could not save the mesh state cache: {Reason}")]
    public static partial void NetmapCacheFailed(ILogger logger, string reason);
}
