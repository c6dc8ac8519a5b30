using System.Net.Sockets;
using System.Security.Authentication;
using Grpc.Core;
using MeshPorts.Contracts.Transport;

namespace MeshPorts.Node.Coordinator;

/// <summary>
/// Maps gRPC statuses (node.proto's error table) to a <see cref="CoordinatorErrorKind"/> and a one-line message.
/// The coordinator's own message already names the fix; this adds where and what was being done.
/// </summary>
internal static class CoordinatorErrors
{
    public static CoordinatorException PinMismatch(Uri url, CertificatePin presented, CertificatePin expected, Exception? inner = null) =>
        new(
            CoordinatorErrorKind.PinMismatch,
            $"the coordinator at {Authority(url)} presented {presented} but the join string pins {expected}; "
            + "get a fresh join string (meshctl token create) or check you reach the right coordinator",
            inner);

    /// <summary>Every replica was tried and none could be reached: one exception naming each failure, still worth a retry.</summary>
    public static CoordinatorException NoReplica(IReadOnlyList<CoordinatorException> failures)
    {
        ArgumentNullException.ThrowIfNull(failures);
        return failures.Count == 1
            ? failures[0]
            : new CoordinatorException(
                CoordinatorErrorKind.Unreachable,
                $"no coordinator replica could be reached: {string.Join("; ", failures.Select(f => f.Message))}",
                new AggregateException(failures),
                connectFailed: failures.All(f => f.ConnectFailed));
    }

    /// <param name="presented">The key the server showed if the TLS pin check refused it during this call.</param>
    public static CoordinatorException Map(RpcException ex, string operation, Uri url, CertificatePin expected, CertificatePin? presented)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var detail = ex.Status.Detail;
        var kind = ex.Trailers.GetValue(ErrorKinds.TrailerKey);
        var where = $"{operation} at {Authority(url)}";
        if (presented is { } other && ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown)
        {
            return PinMismatch(url, other, expected, ex);
        }

        return ex.StatusCode switch
        {
            StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Aborted when IsTlsFailure(ex) =>
                new CoordinatorException(
                    CoordinatorErrorKind.Unreachable,
                    $"{where}: TLS handshake failed ({Reason(ex)}); check that the URL names the meshports-coordinator",
                    ex),
            StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Aborted =>
                new CoordinatorException(
                    CoordinatorErrorKind.Unreachable,
                    $"cannot reach the coordinator for {where} ({Reason(ex)}); check the network and that meshports-coordinator runs (the node retries)",
                    ex,
                    connectFailed: IsConnectFailure(ex)),
            StatusCode.Unauthenticated when kind == ErrorKinds.NonceRejected =>
                new CoordinatorException(CoordinatorErrorKind.Other, $"{where}: {detail}", ex),
            StatusCode.Unauthenticated =>
                new CoordinatorException(
                    CoordinatorErrorKind.Unauthenticated,
                    $"{where}: {detail} (to enroll anew, delete the node's state directory and run 'meshports-node up --join' with a new join string)",
                    ex),
            StatusCode.FailedPrecondition when kind == ErrorKinds.ClockSkew =>
                new CoordinatorException(CoordinatorErrorKind.ClockSkew, $"{where}: {detail}", ex),
            StatusCode.AlreadyExists when kind == ErrorKinds.MachineEnrolled =>
                new CoordinatorException(CoordinatorErrorKind.AlreadyEnrolled, $"{where}: {detail}", ex),
            StatusCode.PermissionDenied or StatusCode.FailedPrecondition or StatusCode.InvalidArgument or StatusCode.AlreadyExists =>
                new CoordinatorException(CoordinatorErrorKind.Refused, $"{where} refused: {detail}", ex),
            _ => new CoordinatorException(CoordinatorErrorKind.Other, $"{where} failed ({ex.StatusCode}): {detail}", ex),
        };
    }

    private static string Authority(Uri url) => url.GetLeftPart(UriPartial.Authority);

    /// <summary>
    /// No TCP connection was made: the handler's connect failed (refused, unreachable, timed out). Read from the
    /// exception types and socket error codes, which gRPC keeps in the status's debug exception.
    /// </summary>
    public static bool IsConnectFailure(RpcException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        if (ex.StatusCode != StatusCode.Unavailable || IsTlsFailure(ex) || (ex.Status.DebugException is { } debug && IsTlsFailure(debug)))
        {
            return false;
        }

        for (var e = ex.Status.DebugException; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError }:
                    return true;
                case SocketException socket when socket.SocketErrorCode is SocketError.ConnectionRefused or SocketError.HostUnreachable
                    or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown or SocketError.TimedOut
                    or SocketError.HostNotFound or SocketError.TryAgain:
                    return true;
            }
        }

        return false;
    }

    private static bool IsTlsFailure(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is AuthenticationException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Why a call failed, in the operating system's words ("Connection refused"): gRPC's own text
    /// ("Error connecting to subchannel.") says nothing a user can act on, and the socket error is in its
    /// debug exception, not its inner one.
    /// </summary>
    private static string Reason(RpcException ex)
    {
        var cause = ex.Status.DebugException is { } debug ? Innermost(debug) : Innermost(ex);
        var text = cause is RpcException ? ex.Status.Detail : cause.Message;
        return string.IsNullOrWhiteSpace(text) || text.Contains("subchannel", StringComparison.OrdinalIgnoreCase)
            ? ex.StatusCode == StatusCode.DeadlineExceeded ? "no answer in time" : "no connection"
            : text.TrimEnd('.');
    }

    private static Exception Innermost(Exception ex)
    {
        var e = ex;
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }
}
