using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.State;

internal static partial class StateLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "node {Name} enrolled ({Ipv4})")]
    public static partial void Enrolled(ILogger logger, string name, string ipv4);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "enrollment from {Source} refused: {Reason}")]
    public static partial void EnrollRefused(ILogger logger, string source, string reason);

    [LoggerMessage(EventId = 202, Level = LogLevel.Error, Message = "expiry processing failed; will retry at the next deadline")]
    public static partial void ExpiryFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "expiry at {NowUnixMs}: {Grants} grant(s), {Keys} key(s) ended")]
    public static partial void Expired(ILogger logger, long nowUnixMs, int grants, int keys);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "node {Name} rotated its key; waiting for {Peers} peer(s)")]
    public static partial void Rotated(ILogger logger, string name, int peers);
}
