using System.Security.Cryptography.X509Certificates;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Cli;
using MeshPorts.Contracts.Join;
using MeshPorts.Coordinator.Cli;
using MeshPorts.Coordinator.Hosting;
using MeshPorts.Coordinator.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace MeshPorts.Coordinator.Tests;

/// <summary>--public-url with every replica: parsed and refused as the help says, and carried into the cert, meshctl.conf and join strings.</summary>
public sealed class ReplicaUrlTests
{
    [Fact]
    public void PublicUrlList_KeepsEveryReplica_PrimaryFirst()
    {
        var o = CommandLine.Parse(["--public-url", "https://c1.example:7443, https://c2.example:7443,https://10.0.0.3:7443"])!;

        Assert.Equal(["https://c1.example:7443/", "https://c2.example:7443/", "https://10.0.0.3:7443/"], o.PublicUrls.Select(u => u.ToString()));
        Assert.Equal(new Uri("https://c1.example:7443"), o.PublicUrl);
        Assert.Equal(new Uri("https://c1.example:7443"), o.EffectivePublicUrl);
        Assert.Contains("--public-url URL[,URL...]", CommandLine.Usage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://a:7443,http://b:7443", "--public-url http://b:7443: must be https://", "https://b:7443")]
    [InlineData("https://a:7443/mesh", "no path, query or user", "write https://a:7443")]
    [InlineData("https://a:7443,,https://b:7443", "empty entry", "single commas")]
    [InlineData("https://a:7443,https://a:7443", "listed twice", "name each replica once")]
    [InlineData("a:7443", "not a URL", "https://HOST:PORT")]
    public void BadEntry_IsAUsageErrorNamingTheFix(string value, string problem, string fix)
    {
        var ex = Assert.Throws<UsageException>(() => CommandLine.Parse(["--public-url", value]));

        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Contains(fix, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replicas_GoIntoTheCertificate_MeshctlConf_AndJoinStrings()
    {
        var port = TestCoordinator.FreePort();
        var urls = new[] { new Uri($"https://127.0.0.1:{port}"), new Uri("https://replica-b.example:7443"), new Uri("https://[fd00::2]:7443") };
        await using var c = await TestCoordinator.StartAsync(o =>
        {
            o.Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port);
            o.PublicUrls = urls;
        });

        var cert = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(c.DataDir, "tls", "cert.pem"));
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("replica-b.example", san.EnumerateDnsNames());
        Assert.Contains(System.Net.IPAddress.Parse("fd00::2"), san.EnumerateIPAddresses());
        Assert.Contains(System.Net.IPAddress.Loopback, san.EnumerateIPAddresses());

        var conf = await File.ReadAllTextAsync(Path.Combine(c.DataDir, "meshctl.conf"));
        Assert.Contains($"url = https://127.0.0.1:{port}, https://replica-b.example:7443, https://[fd00::2]:7443\n", conf, StringComparison.Ordinal);

        var created = await c.Admin.CreateTokenAsync(new CreateTokenRequest { Name = "multi", Uses = 1 });
        Assert.Equal(urls, JoinString.Parse(created.JoinString).Urls);
    }

    [Fact]
    public async Task RestartWithAnotherList_SaysMeshctlConfStillNamesTheOldOne()
    {
        var dir = Directory.CreateTempSubdirectory("mp-replicas-");
        try
        {
            var port = TestCoordinator.FreePort();
            var first = await StartOnceAsync(dir.FullName, port, [new Uri($"https://127.0.0.1:{port}")]);
            Assert.DoesNotContain("note:", first, StringComparison.Ordinal);

            var again = await StartOnceAsync(dir.FullName, port, [new Uri($"https://127.0.0.1:{port}")]);
            Assert.DoesNotContain("note:", again, StringComparison.Ordinal);

            var grown = await StartOnceAsync(dir.FullName, port, [new Uri($"https://127.0.0.1:{port}"), new Uri("https://b.example:7443")]);
            Assert.Contains($"says url = https://127.0.0.1:{port}, not --public-url https://127.0.0.1:{port}, https://b.example:7443", grown, StringComparison.Ordinal);
            Assert.Contains("edit its url line", grown, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<string> StartOnceAsync(string dataDir, int port, IReadOnlyList<Uri> urls)
    {
        var options = new Options.CoordinatorOptions
        {
            DataDir = dataDir,
            Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port),
            PublicUrls = urls,
        };
        using var output = new StringWriter();
        await using (await CoordinatorHost.StartAsync(options, new FakeTimeProvider(DateTimeOffset.UtcNow), output, LogLevel.Critical, CancellationToken.None))
        {
        }

        return output.ToString();
    }
}
