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
        catch (Npgsql.NpgsqlException ex) when (ex.IsTransient)
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
        catch (Npgsql.NpgsqlException ex) when (ex.IsTransient)
        {
            throw DatabaseUnavailable(ex);
        }
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
        return new RpcException(new Status(code, RefusalWording.Describe(ex)));
    }
}
