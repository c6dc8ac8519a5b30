using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MeshPorts.Contracts.Transport;
using MeshPorts.Ctl.Transport;
using Xunit;

namespace MeshPorts.Ctl.Tests.Transport;

public class CertificatePinTests
{
    [Fact]
    public void TryParse_AcceptsHexColonHexBase64AndPrefixes_AsTheSamePin()
    {
        var bytes = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var hex = Convert.ToHexStringLower(bytes);
        var forms = new[]
        {
            hex,
            hex.ToUpperInvariant(),
            "sha256:" + hex,
            string.Join(':', bytes.Select(b => b.ToString("X2"))),
            Convert.ToBase64String(bytes),
            "sha256/" + Convert.ToBase64String(bytes),
            Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
        };

        var expected = CertificatePin.FromHash(bytes);
        foreach (var form in forms)
        {
            Assert.True(CertificatePin.TryParse(form, out var pin), form);
            Assert.True(pin.Matches(expected), form);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("sha256:")]
    [InlineData("abcd")]
    [InlineData("zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void TryParse_NotAFingerprint_IsRejected(string text)
    {
        Assert.False(CertificatePin.TryParse(text, out _));
    }

    [Fact]
    public void Matches_DifferentCertificate_IsFalse()
    {
        using var a = SelfSigned("a");
        using var b = SelfSigned("a");
        var pin = CertificatePin.Of(a);
        Assert.True(pin.Matches(a));
        Assert.False(pin.Matches(b));
        Assert.False(pin.Matches((X509Certificate?)null));
    }

    [Fact]
    public async Task Handler_WithMatchingPin_TrustsSelfSignedServer()
    {
        using var cert = SelfSigned("coordinator");
        await using var server = await TlsTestServer.StartAsync(cert);
        using var client = new HttpClient(ChannelFactory.CreateHandler(CertificatePin.Of(cert)));

        // The URL names an IP the certificate does not list, as a coordinator's often does: the pin alone decides.
        var body = await client.GetStringAsync(server.Url);

        Assert.Equal("ok", body);
    }

    [Fact]
    public async Task Handler_WithOtherPin_RefusesTheServer()
    {
        using var cert = SelfSigned("coordinator");
        using var impostor = SelfSigned("coordinator");
        await using var server = await TlsTestServer.StartAsync(cert);
        using var client = new HttpClient(ChannelFactory.CreateHandler(CertificatePin.Of(impostor)));

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync(server.Url));
        Assert.IsType<AuthenticationException>(ex.InnerException);
    }

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }
}
