namespace MeshPorts.Security.Tests.Support;

/// <summary>What came back for one raw gRPC call: the HTTP status, grpc-status (null if none was sent) and the message bodies.</summary>
internal sealed record RawGrpcResult(int HttpStatus, int? GrpcStatus, string GrpcMessage, IReadOnlyList<byte[]> Messages)
{
    public override string ToString() =>
        $"HTTP {HttpStatus}, grpc-status {GrpcStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} '{GrpcMessage}', {Messages.Count} message(s)";
}
