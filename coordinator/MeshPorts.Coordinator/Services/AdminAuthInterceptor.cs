using Grpc.Core;
using Grpc.Core.Interceptors;
using MeshPorts.Coordinator.Hosting;

namespace MeshPorts.Coordinator.Services;

/// <summary>Every Admin call must carry "authorization: Bearer &lt;token&gt;" matching the stored hash.</summary>
internal sealed class AdminAuthInterceptor : Interceptor
{
    private const string AdminPrefix = "/meshports.admin.v1.Admin/";
    private readonly AdminCredential _credential;

    public AdminAuthInterceptor(AdminCredential credential)
    {
        _credential = credential;
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context);
        return continuation(request, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        if (!context.Method.StartsWith(AdminPrefix, StringComparison.Ordinal))
        {
            return;
        }

        var header = context.RequestHeaders.GetValue("authorization");
        var token = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        if (!_credential.Matches(token))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                "admin credential missing or wrong; use the token from the coordinator's DATA/meshctl.conf"));
        }
    }
}
