using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Coordinator;

internal static partial class CoordinatorLog
{
    [LoggerMessage(1, LogLevel.Information, "Enrolled with {Coordinator} as {Name} ({OverlayIpv4}, {OverlayIpv6})")]
    public static partial void Enrolled(ILogger logger, string coordinator, string name, string overlayIpv4, string overlayIpv6);

    [LoggerMessage(2, LogLevel.Information, "Using the identity saved in {Directory} ({Name} at {Coordinator})")]
    public static partial void Reused(ILogger logger, string directory, string name, string coordinator);

    [LoggerMessage(3, LogLevel.Warning, "The join string names {JoinUrl} (pin {JoinPin}) but {Directory} is enrolled with {StoredUrl} (pin {StoredPin}); keeping the saved identity. Delete {Directory} to enroll with the new coordinator")]
    public static partial void JoinDiffersFromState(ILogger logger, string joinUrl, string joinPin, string directory, string storedUrl, string storedPin);

    [LoggerMessage(4, LogLevel.Warning, "This machine key is already enrolled at {Coordinator} but {File} was missing (crash after enrolling?); recovering, the rest comes from the first Watch snapshot")]
    public static partial void RecoveringEnrollment(ILogger logger, string coordinator, string file);

    [LoggerMessage(5, LogLevel.Warning, "The node clock is {SkewSeconds:F0}s off the coordinator's; the coordinator refuses calls beyond its bound (60 s by default): sync the clock with NTP")]
    public static partial void ClockSkew(ILogger logger, double skewSeconds);

    [LoggerMessage(6, LogLevel.Debug, "Watch stream opened at {Coordinator} from serial {Serial}")]
    public static partial void WatchOpened(ILogger logger, string coordinator, ulong serial);

    [LoggerMessage(7, LogLevel.Information, "Enrolling with {Coordinator}")]
    public static partial void Enrolling(ILogger logger, string coordinator);
}
