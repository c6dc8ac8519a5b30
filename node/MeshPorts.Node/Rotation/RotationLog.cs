using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Rotation;

/// <summary>Rotation's events; the ids are the ones they had in AgentLog, which logs beside them.</summary>
internal static partial class RotationLog
{
    [LoggerMessage(5, LogLevel.Information, "Rotating the WireGuard key ({Why})")]
    public static partial void RotationStarted(ILogger logger, string why);

    [LoggerMessage(6, LogLevel.Information, "Key rotation done: {Key}, valid until {ExpiresAt:O}; peers ready: {Ready}")]
    public static partial void RotationDone(ILogger logger, string key, DateTimeOffset expiresAt, bool ready);

    [LoggerMessage(7, LogLevel.Warning, "Key rotation failed ({Reason}); retrying in {Delay}")]
    public static partial void RotationFailed(ILogger logger, string reason, string delay);

    [LoggerMessage(12, LogLevel.Warning, "The coordinator publishes a key for this node that is neither its current nor its next key; peers will not reach it until a rotation")]
    public static partial void UnknownOwnKey(ILogger logger);

    [LoggerMessage(13, LogLevel.Information, "Resumed an interrupted rotation: switched to the key the coordinator already publishes")]
    public static partial void ResumedRotation(ILogger logger);
}
