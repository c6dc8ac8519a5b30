using Grpc.Core;
using Grpc.Core.Interceptors;
using MeshPorts.Coordinator.State;

namespace MeshPorts.Coordinator.Services;

/// <summary>Turns State's refusals into gRPC statuses with their one-line message, in the caller's words.</summary>
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
