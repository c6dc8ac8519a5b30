using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography;

namespace MeshPorts.Coordinator.Tests.Support;

/// <summary>Reads one number from the coordinator's /metrics, trusting only its pinned certificate.</summary>
internal static class MetricsReader
{
    public static async Task<long> ReadAsync(TestCoordinator coordinator, string name)
    {
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && "sha256:" + Convert.ToHexStringLower(SHA256.HashData(
                    new System.Security.Cryptography.X509Certificates.X509Certificate2(cert).PublicKey.ExportSubjectPublicKeyInfo())) == coordinator.Host.Pin,
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = coordinator.Host.PublicUrl };
        var text = await http.GetStringAsync("/metrics");
        var line = text.Split('\n').SingleOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"/metrics has no {name}");
        return long.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
