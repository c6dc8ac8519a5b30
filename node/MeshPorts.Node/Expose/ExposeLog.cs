using System.Net;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Expose;

internal static partial class ExposeLog
{
    [LoggerMessage(1, LogLevel.Information, "Exposing {Spec} on {Address} via {Interface} only")]
    public static partial void Listening(ILogger logger, string spec, IPAddress address, string @interface);

    [LoggerMessage(2, LogLevel.Information, "Stopped exposing {Spec}")]
    public static partial void StoppedListening(ILogger logger, string spec);

    [LoggerMessage(3, LogLevel.Warning, "Local service for {Spec} refused or did not answer; reset the overlay connection from {Remote}")]
    public static partial void ServiceUnreachable(ILogger logger, string spec, EndPoint? remote);

    [LoggerMessage(4, LogLevel.Warning, "{Spec} is at its limit of {Limit}; refused {Remote}")]
    public static partial void OverLimit(ILogger logger, string spec, int limit, EndPoint? remote);

    [LoggerMessage(5, LogLevel.Debug, "Relay for {Spec} from {Remote} ended ({How})")]
    public static partial void RelayEnded(ILogger logger, string spec, EndPoint? remote, string how);

    [LoggerMessage(6, LogLevel.Error, "The {Spec} listener on {Address} stopped on an unexpected error")]
    public static partial void ListenerFailed(ILogger logger, string spec, IPAddress address, Exception exception);

    [LoggerMessage(7, LogLevel.Debug, "UDP session for {Spec} from {Remote} closed after being idle")]
    public static partial void UdpSessionIdle(ILogger logger, string spec, EndPoint remote);

    [LoggerMessage(8, LogLevel.Debug, "{Spec}: refused {Remote}, a process on this host; local processes use 127.0.0.1 directly")]
    public static partial void FromThisHost(ILogger logger, string spec, EndPoint? remote);
}
