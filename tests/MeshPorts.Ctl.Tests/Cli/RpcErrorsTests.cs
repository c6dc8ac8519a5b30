using System.Security.Authentication;
using Grpc.Core;
using MeshPorts.Ctl.Cli;
using Xunit;

namespace MeshPorts.Ctl.Tests.Cli;

public class RpcErrorsTests
{
    [Theory]
    [InlineData(StatusCode.Internal)]
    [InlineData(StatusCode.Unavailable)]
    public void Describe_TlsRefusal_BlamesThePinWhateverTheStatus(StatusCode code)
    {
        var tls = new HttpRequestException("ssl", new AuthenticationException("remote certificate rejected"));
        var ex = new RpcException(new Status(code, "Error starting gRPC call.", tls));

        Assert.Contains("does not match the pin", RpcErrors.Describe(ex));
    }

    [Fact]
    public void Describe_Unauthenticated_NamesTheAdminCredential()
    {
        var ex = new RpcException(new Status(StatusCode.Unauthenticated, "bad token"));
        Assert.Contains("admin credential", RpcErrors.Describe(ex));
    }

    [Fact]
    public void Describe_Unavailable_SaysToCheckTheCoordinator()
    {
        var ex = new RpcException(new Status(StatusCode.Unavailable, "connection refused"));
        Assert.Contains("meshports-coordinator is running", RpcErrors.Describe(ex));
    }

    [Fact]
    public void Describe_ServerValidationError_PassesTheServersMessageThrough()
    {
        var ex = new RpcException(new Status(StatusCode.InvalidArgument, "--for 48h is over the 24h cap; use at most 24h"));
        Assert.Equal("--for 48h is over the 24h cap; use at most 24h", RpcErrors.Describe(ex));
    }
}
