using System.Security.Authentication;
using Grpc.Core;
using MeshPorts.Ctl.Transport;

namespace MeshPorts.Ctl.Cli;

/// <summary>Turns a gRPC failure into one line that says what to do about it.</summary>
internal static class RpcErrors
{
    public static string Describe(RpcException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var detail = string.IsNullOrWhiteSpace(ex.Status.Detail) ? ex.StatusCode.ToString() : ex.Status.Detail;
        // A refused pin surfaces as Internal or Unavailable depending on where the handshake broke.
        if (Inner<ReplicasUnreachableException>(ex) is { } unreachable)
        {
            return unreachable.Failures.Count > 1
                ? $"cannot reach any coordinator replica ({unreachable.Message}); check that meshports-coordinator is running and the url list in meshctl.conf"
                : $"cannot reach the coordinator ({unreachable.Message}); check that meshports-coordinator is running and the url in meshctl.conf";
        }

        if (HasInner<AuthenticationException>(ex))
        {
            return "the coordinator's certificate does not match the pin in meshctl.conf; if the coordinator was reinstalled, copy its new DATA/meshctl.conf";
        }

        return ex.StatusCode switch
        {
            StatusCode.Unavailable =>
                $"cannot reach the coordinator ({detail}); check that meshports-coordinator is running and the url in meshctl.conf",
            StatusCode.Unauthenticated =>
                $"the coordinator refused the admin credential ({detail}); copy the token from the coordinator's DATA/meshctl.conf",
            StatusCode.PermissionDenied => $"permission denied: {detail}",
            StatusCode.DeadlineExceeded => $"the coordinator did not answer in time ({detail}); retry, or check its load",
            StatusCode.Unimplemented => $"the coordinator does not support this command ({detail}); upgrade meshports-coordinator",
            _ => detail,
        };
    }

    private static bool HasInner<T>(Exception ex)
        where T : Exception => Inner<T>(ex) is not null;

    private static T? Inner<T>(Exception ex)
        where T : Exception
    {
        for (var e = ex.InnerException; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        for (var e = (ex as RpcException)?.Status.DebugException; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }
}
