using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.State.Replication;

internal static partial class ReplicationLog
{
    [LoggerMessage(EventId = 260, Level = LogLevel.Information, Message = "applied {Changes} change(s) made by other coordinators, up to serial {Serial}")]
    public static partial void Synced(ILogger logger, int changes, long serial);

    [LoggerMessage(EventId = 261, Level = LogLevel.Warning, Message = "following the database's changes failed; retrying in {DelayMs} ms")]
    public static partial void FollowFailed(ILogger logger, double delayMs, Exception exception);
}
