using Grpc.Core;
using Grpc.Core.Interceptors;
using MeshPorts.Coordinator.State;

namespace MeshPorts.Coordinator.Services;

/// <summary>
/// Turns State's refusals into gRPC statuses with their one-line message, in the caller's words, and a database
/// that cannot be reached for a moment (a PostgreSQL restart or failover) into UNAVAILABLE, which clients retry.
/// </summary>
internal sealed class ErrorInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            return await continuation(request, context);
        }
        catch (StateException ex)
        {
            throw ToRpc(ex);
        }
        catch (Exception ex) when (IsDatabaseOutage(ex))
        {
            throw DatabaseUnavailable(ex);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (StateException ex)
        {
            throw ToRpc(ex);
        }
        catch (Exception ex) when (IsDatabaseOutage(ex))
        {
            throw DatabaseUnavailable(ex);
        }
    }

    /// <summary>
    /// True when the database went away under the call rather than refusing it: what Npgsql calls transient
    /// (connection lost, cannot connect now), and also the server's own shutdown of a session in flight.
    /// A restart (<c>pg_ctl stop -m fast</c>) or failover ends every open session with 57P01 admin_shutdown,
    /// 57P02 crash_shutdown or 57P05 idle_session_timeout, which Npgsql does not count as transient, yet
    /// retrying is exactly right. The exception may come wrapped (an aggregate's first inner exception is its
    /// InnerException), so the chain is looked at.
    /// </summary>
    public static bool IsDatabaseOutage(Exception? ex)
    {
        for (var depth = 0; ex is not null && depth < 8; depth++, ex = ex.InnerException)
        {
            if (ex is Npgsql.PostgresException { SqlState: "57P01" or "57P02" or "57P05" })
            {
                return true;
            }

            if (ex is Npgsql.NpgsqlException { IsTransient: true })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The commit's answer may be what was lost, so the caller is told to look before trying again.</summary>
    public static RpcException DatabaseUnavailable(Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return new RpcException(new Status(StatusCode.Unavailable,
            "the coordinator cannot reach its database right now; retry in a moment (list first: a change that failed this way may have been made)"));
    }

    public static RpcException ToRpc(StateException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var code = ex.Error switch
        {
            StateError.InvalidArgument => StatusCode.InvalidArgument,
            StateError.NotFound => StatusCode.NotFound,
            StateError.AlreadyExists => StatusCode.AlreadyExists,
            StateError.FailedPrecondition => StatusCode.FailedPrecondition,
            StateError.PermissionDenied => StatusCode.PermissionDenied,
            StateError.Unauthenticated => StatusCode.Unauthenticated,
            StateError.ResourceExhausted => StatusCode.ResourceExhausted,
            _ => StatusCode.Internal,
        };
        var status = new Status(code, RefusalWording.Describe(ex));
        return ex.Kind is { } kind
            ? new RpcException(status, new Metadata { { MeshPorts.Contracts.Transport.ErrorKinds.TrailerKey, kind } })
            : new RpcException(status);
    }
}
