using MeshPorts.Contracts.Transport;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.StateDirectory;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshPorts.Node.Tests.Coordinator;

public sealed class PinnedTlsTests
{
    [Fact]
    public async Task Handler_WithTheServersPin_TrustsItsSelfSignedCertificate()
    {
        using var cert = TlsTestServer.SelfSigned("coordinator");
        await using var server = new TlsTestServer(cert);
        using var client = new HttpClient(PinnedHttpHandler.Create(CertificatePin.Of(cert), PinnedHttpHandler.DefaultKeepAlive));

        // 127.0.0.1 is not in the certificate and no CA signed it: only the pin can make this pass.
        Assert.Equal("ok", await client.GetStringAsync(server.Url));
    }

    [Fact]
    public async Task Client_WithAnotherPin_FailsWithPinMismatchNamingBothKeysAndTheFix()
    {
        using var cert = TlsTestServer.SelfSigned("coordinator");
        using var impostor = TlsTestServer.SelfSigned("coordinator");
        await using var server = new TlsTestServer(cert);
        var expected = CertificatePin.Of(impostor).ToString();
        using var machine = MachineKey.Generate();
        await using var client = new CoordinatorClient(server.Url, expected, machine, TimeProvider.System, NullLogger.Instance);

        var ex = await Assert.ThrowsAsync<CoordinatorException>(() => client.AckAsync(1, CancellationToken.None));

        Assert.Equal(CoordinatorErrorKind.PinMismatch, ex.Kind);
        Assert.False(ex.IsTransient);
        var authority = server.Url.GetLeftPart(UriPartial.Authority);
        Assert.Equal(
            $"the coordinator at {authority} presented {CertificatePin.Of(cert)} but the join string pins {expected}; "
            + "get a fresh join string (meshctl token create) or check you reach the right coordinator",
            ex.Message);
    }

    [Fact]
    public async Task Client_WithNothingListening_IsUnreachableAndTransient()
    {
        var port = FreePort();
        using var machine = MachineKey.Generate();
        await using var client = new CoordinatorClient(new Uri($"https://127.0.0.1:{port}"), "sha256:" + new string('0', 64), machine, TimeProvider.System, NullLogger.Instance);

        var ex = await Assert.ThrowsAsync<CoordinatorException>(() => client.AckAsync(1, CancellationToken.None));

        Assert.Equal(CoordinatorErrorKind.Unreachable, ex.Kind);
        Assert.True(ex.IsTransient);
        Assert.Contains("cannot reach the coordinator", ex.Message);
    }

    [Fact]
    public async Task Client_WithNothingListening_SaysWhyInPlainWords()
    {
        var port = FreePort();
        using var machine = MachineKey.Generate();
        await using var client = new CoordinatorClient(new Uri($"https://127.0.0.1:{port}"), "sha256:" + new string('0', 64), machine, TimeProvider.System, NullLogger.Instance);

        var ex = await Assert.ThrowsAsync<CoordinatorException>(() => client.AckAsync(1, CancellationToken.None));

        Assert.Contains($"for sign-in at https://127.0.0.1:{port} (Connection refused", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("subchannel", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("GetChallenge", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:1", "sha256:0000000000000000000000000000000000000000000000000000000000000000", "https://")]
    [InlineData("https://127.0.0.1:1", "sha256:12", "not a SHA-256 fingerprint")]
    public void Client_WithPlaintextUrlOrBadPin_IsRefusedAtConstruction(string url, string pin, string expected)
    {
        using var machine = MachineKey.Generate();

        var ex = Assert.Throws<ArgumentException>(() => new CoordinatorClient(new Uri(url), pin, machine, TimeProvider.System, NullLogger.Instance));

        Assert.Contains(expected, ex.Message);
    }

    internal static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
