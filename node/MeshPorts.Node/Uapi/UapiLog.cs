using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Uapi;

/// <summary>UAPI server log messages. Values of set lines are never logged: they may be keys.</summary>
internal static partial class UapiLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "UAPI listening on {SocketPath}")]
    public static partial void Listening(ILogger logger, string socketPath);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "UAPI stopped; removed {SocketPath}")]
    public static partial void Stopped(ILogger logger, string socketPath);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Replaced a stale UAPI socket at {SocketPath}")]
    public static partial void StaleSocketRemoved(ILogger logger, string socketPath);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Malformed UAPI request: {Reason}")]
    public static partial void Malformed(ILogger logger, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "UAPI set rejected with errno {Errno}: {Reason}")]
    public static partial void SetRejected(ILogger logger, int errno, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "UAPI set applied: {PeerSections} peer section(s), errno {Errno}")]
    public static partial void SetApplied(ILogger logger, int peerSections, int errno);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "The device failed while serving a UAPI request")]
    public static partial void DeviceFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Accepting a UAPI connection failed")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "Refused a UAPI connection: {Limit} already open")]
    public static partial void TooManyConnections(ILogger logger, int limit);

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "UAPI connection ended early")]
    public static partial void ConnectionEnded(ILogger logger, Exception exception);
}
