using System.Net.Security;
using System.Security.Cryptography;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests;

public sealed class HttpEndpointTests
{
    [Fact]
    public async Task HealthzAndMetrics_AreServedOverTlsOnly()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var node = await c.EnrollAsync("n1");
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && "sha256:" + Convert.ToHexStringLower(SHA256.HashData(
                    new System.Security.Cryptography.X509Certificates.X509Certificate2(cert).PublicKey.ExportSubjectPublicKeyInfo())) == c.Host.Pin,
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = c.Host.PublicUrl };
        Assert.Equal("ok\n", await http.GetStringAsync("/healthz"));
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("meshports_enrollments_total 1\n", metrics);
        Assert.Contains("meshports_nodes 1\n", metrics);

        using var plain = new HttpClient { BaseAddress = new Uri("http://" + c.Host.PublicUrl.Authority) };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetStringAsync("/healthz"));
    }
}
