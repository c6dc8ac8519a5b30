using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;
using MeshPorts.Coordinator.Hosting;
using Microsoft.AspNetCore.Http;

namespace MeshPorts.Coordinator.Services;

/// <summary>
/// Decides who may call a gRPC method by the endpoint routing matched, never by the text of the request
/// path: routing matches paths ignoring case, so a text check can be walked around by spelling the path
/// differently. Admin methods need "authorization: Bearer &lt;admin token&gt;"; node methods are signed per
/// call with the machine key (<see cref="NodeControlService"/> checks that); every other method, including
/// any added later without a decision here, is refused.
/// </summary>
internal sealed class CallAuthorizationInterceptor : Interceptor
{
    private readonly AdminCredential _credential;

    public CallAuthorizationInterceptor(AdminCredential credential)
    {
        _credential = credential;
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Authorize(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Authorize(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Authorize(context);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Authorize(context);
        return continuation(requestStream, responseStream, context);
    }

    /// <summary>The method routing matched for this call; null only outside endpoint routing.</summary>
    public static GrpcMethodMetadata? MatchedMethod(ServerCallContext context) =>
        context.GetHttpContext().GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>();

    private void Authorize(ServerCallContext context)
    {
        var service = MatchedMethod(context)?.ServiceType;
        // The relay's Connect authenticates in-stream (a coordinator-signed ticket and a Hello signed over
        // the connection's challenge), so it needs no credential here.
        if (service == typeof(NodeControlService) || service == typeof(MeshPorts.Relay.RelayService))
        {
            return;
        }

        if (service != typeof(AdminService))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "no caller may use this method"));
        }

        var header = context.RequestHeaders.GetValue("authorization");
        var token = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..] : null;
        if (!_credential.Matches(token))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                "admin credential missing or wrong; use the token from the coordinator's DATA/meshctl.conf"));
        }
    }
}
