using System.Net;
using MeshPorts.Coordinator.Hosting;
using MeshPorts.Coordinator.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace MeshPorts.Coordinator.Tests;

/// <summary>
/// Without --public-url the URL in join strings and meshctl.conf is a guess from the machine's name, which
/// nodes elsewhere may not resolve: the coordinator says so where the operator looks, at start and in the file.
/// </summary>
public sealed class PublicUrlTests
{
    [Fact]
    public async Task WithoutPublicUrl_StartAndMeshctlConf_SayTheUrlIsAGuess()
    {
        var (output, conf) = await StartOnceAsync(publicUrl: false);

        Assert.Contains("warning: no --public-url given", output, StringComparison.Ordinal);
        Assert.Contains("restart with --public-url https://HOST:PORT", output, StringComparison.Ordinal);
        Assert.Contains("# The url below is a guess", conf, StringComparison.Ordinal);
        Assert.Contains($"url = https://{Environment.MachineName.ToLowerInvariant()}:", conf, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithPublicUrl_NoWarning()
    {
        var (output, conf) = await StartOnceAsync(publicUrl: true);

        Assert.DoesNotContain("--public-url", output, StringComparison.Ordinal);
        Assert.DoesNotContain("guess", conf, StringComparison.Ordinal);
        Assert.Contains("url = https://127.0.0.1:", conf, StringComparison.Ordinal);
    }

    private static async Task<(string Output, string Conf)> StartOnceAsync(bool publicUrl)
    {
        var dir = Directory.CreateTempSubdirectory("mp-url-");
        try
        {
            var port = Support.TestCoordinator.FreePort();
            var options = new CoordinatorOptions
            {
                DataDir = dir.FullName,
                Listen = new IPEndPoint(IPAddress.Loopback, port),
                PublicUrl = publicUrl ? new Uri($"https://127.0.0.1:{port}") : null,
            };
            using var output = new StringWriter();
            await using (await CoordinatorHost.StartAsync(options, new FakeTimeProvider(DateTimeOffset.UtcNow), output, LogLevel.Critical, CancellationToken.None))
            {
            }

            return (output.ToString(), await File.ReadAllTextAsync(Path.Combine(dir.FullName, "meshctl.conf")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
