using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace MeshPorts.Coordinator.Services;

/// <summary>
/// Serves a gRPC method only at its exact path. Routing matches "/Meshports.admin.v1.ADMIN/ListTokens" to the
/// same endpoint as the real path; nothing legitimate sends such a spelling, and anything keyed by the path
/// (logs, metrics, signatures) would see a different text than the method it ran. Such calls end with
/// UNIMPLEMENTED before any handler or interceptor runs; so do percent-encoded spellings and a query.
/// </summary>
internal static class CanonicalGrpcPath
{
    public static async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var method = context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>();
        // The raw request target, as sent: Request.Path has "%2E" decoded already, and gRPC never sends a query.
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (method is not null && !string.Equals(target, method.Method.FullName, StringComparison.Ordinal))
        {
            // A trailers-only gRPC response: HTTP 200 with the status in the headers.
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "12";
            context.Response.Headers["grpc-message"] = Uri.EscapeDataString("unknown method; call it by its exact path");
            await context.Response.CompleteAsync();
            return;
        }

        await next();
    }
}
