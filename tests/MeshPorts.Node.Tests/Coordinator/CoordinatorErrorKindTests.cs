using Grpc.Core;
using MeshPorts.Contracts.Transport;
using MeshPorts.Node.Coordinator;

namespace MeshPorts.Node.Tests.Coordinator;

/// <summary>The node tells refusals apart by status code and the meshports-error-kind trailer, never by the message.</summary>
public sealed class CoordinatorErrorKindTests
{
    private static readonly Uri Url = new("https://coordinator.example:7443");

    private static CoordinatorErrorKind KindOf(StatusCode code, string detail, string? kind)
    {
        Assert.True(CertificatePin.TryParse("sha256:" + new string('a', 64), out var pin));
        var trailers = new Metadata();
        if (kind is not null)
        {
            trailers.Add(ErrorKinds.TrailerKey, kind);
        }

        return CoordinatorErrors.Map(new RpcException(new Status(code, detail), trailers), "enroll", Url, pin, presented: null).Kind;
    }

    [Fact]
    public void AlreadyExists_IsTheNodesOwnEnrollment_OnlyWhenTheTrailerSaysSo()
    {
        Assert.Equal(CoordinatorErrorKind.AlreadyEnrolled, KindOf(StatusCode.AlreadyExists, "this machine key is already enrolled", ErrorKinds.MachineEnrolled));
        // The name-taken message says "already enrolled" too: read from the text, the node took another
        // node's name for its own lost enrollment and went on as if enrolled.
        Assert.Equal(CoordinatorErrorKind.Refused, KindOf(StatusCode.AlreadyExists, "a node named 'db' is already enrolled; an admin must remove it first", ErrorKinds.NameTaken));
        Assert.Equal(CoordinatorErrorKind.Refused, KindOf(StatusCode.AlreadyExists, "this machine key is already enrolled", null));
    }

    [Fact]
    public void ClockSkewAndNonce_ComeFromTheTrailer_NotFromWordsInTheMessage()
    {
        Assert.Equal(CoordinatorErrorKind.ClockSkew, KindOf(StatusCode.FailedPrecondition, "sync it", ErrorKinds.ClockSkew));
        Assert.Equal(CoordinatorErrorKind.Refused, KindOf(StatusCode.FailedPrecondition, "the token expired; ask for a new clock-independent one", null));
        Assert.Equal(CoordinatorErrorKind.Other, KindOf(StatusCode.Unauthenticated, "try again", ErrorKinds.NonceRejected));
        Assert.Equal(CoordinatorErrorKind.Unauthenticated, KindOf(StatusCode.Unauthenticated, "nonce words in a removed node's refusal", null));
    }
}
