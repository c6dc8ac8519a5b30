using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography;

namespace MeshPorts.Coordinator.Tests.Support;

/// <summary>Reads one number from the coordinator's /metrics, trusting only its pinned certificate.</summary>
internal static class MetricsReader
{
    public static async Task<long> ReadAsync(TestCoordinator coordinator, string name) =>
        long.Parse(await ReadSampleAsync(coordinator, name), CultureInfo.InvariantCulture);

    /// <summary>One sample's value as a number; <paramref name="series"/> is the name with its labels as written, e.g. <c>x{node="a"}</c>.</summary>
    public static async Task<double> ReadDoubleAsync(TestCoordinator coordinator, string series) =>
        double.Parse(await ReadSampleAsync(coordinator, series), CultureInfo.InvariantCulture);

    /// <summary>Reads /metrics until <paramref name="series"/> has <paramref name="want"/>, or fails with the last value seen.</summary>
    public static async Task WaitForAsync(TestCoordinator coordinator, string series, Func<double, bool> want, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        double value;
        while (!want(value = await ReadDoubleAsync(coordinator, series)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{series} is still {value.ToString(CultureInfo.InvariantCulture)} after {timeoutMs} ms");
            await Task.Delay(50);
        }
    }

    private static async Task<string> ReadSampleAsync(TestCoordinator coordinator, string name)
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
        return line[(name.Length + 1)..];
    }
}
