using System.Security.Authentication;
using Grpc.Core;

namespace MeshPorts.Ctl.Cli;

/// <summary>Turns a gRPC failure into one line that says what to do about it.</summary>
internal static class RpcErrors
{
    public static string Describe(RpcException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var detail = string.IsNullOrWhiteSpace(ex.Status.Detail) ? ex.StatusCode.ToString() : ex.Status.Detail;
        // A refused pin surfaces as Internal or Unavailable depending on where the handshake broke.
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
        where T : Exception
    {
        for (var e = ex.InnerException; e is not null; e = e.InnerException)
        {
            if (e is T)
            {
                return true;
            }
        }

        for (var e = (ex as RpcException)?.Status.DebugException; e is not null; e = e.InnerException)
        {
            if (e is T)
            {
                return true;
            }
        }

        return false;
    }
}
