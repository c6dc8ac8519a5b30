namespace MeshPorts.Security.Tests.Support;

/// <summary>What came back for one raw gRPC call: the HTTP status, grpc-status (null if none was sent) and the message bodies.</summary>
internal sealed record RawGrpcResult(int HttpStatus, int? GrpcStatus, string GrpcMessage, IReadOnlyList<byte[]> Messages)
{
    /// <summary>
    /// Nothing came back and the call did not succeed: a gRPC error status, or an HTTP error with none (a gRPC
    /// client reads HTTP 404 as UNIMPLEMENTED). A stream left open, or any message in the body, is not a refusal.
    /// </summary>
    public bool IsRefused => Messages.Count == 0 && (GrpcStatus is int status ? status != 0 : HttpStatus is not 200);

    public override string ToString() =>
        $"HTTP {HttpStatus}, grpc-status {GrpcStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} '{GrpcMessage}', {Messages.Count} message(s)";
}
