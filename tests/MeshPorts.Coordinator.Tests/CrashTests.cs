using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests;

/// <summary>
/// Runs the real coordinator process, kills it with SIGKILL during writes, restarts it and checks the data; on
/// every store (SqliteCrashTests, PostgresCrashTests).
/// </summary>
public abstract class CrashTests
{
    /// <summary>The --store for the coordinator; null = SQLite in its data dir.</summary>
    protected abstract Task<string?> StoreAsync();

    private static string CoordinatorDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = dir.Parent?.Name ?? "Debug";
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "MeshPorts.sln")))
        {
            dir = dir.Parent;
        }

        Assert.True(dir is not null, $"cannot find MeshPorts.sln above {AppContext.BaseDirectory}");
        var dll = Path.Combine(dir!.FullName, "coordinator", "MeshPorts.Coordinator", "bin", configuration, "net10.0", "meshports-coordinator.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing; build coordinator/MeshPorts.Coordinator first");
        return dll;
    }

    private static async Task<Process> StartAsync(string dataDir, int port, string? store)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { CoordinatorDll(), "--data", dataDir, "--listen", $"127.0.0.1:{port}", "--public-url", $"https://127.0.0.1:{port}" })
        {
            psi.ArgumentList.Add(arg);
        }

        if (store is not null)
        {
            psi.ArgumentList.Add("--store");
            psi.ArgumentList.Add(store);
        }

        var process = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(cts.Token);
            if (line is null)
            {
                Assert.Fail("coordinator exited before listening: " + await process.StandardError.ReadToEndAsync());
            }

            if (line.StartsWith("listening on", StringComparison.Ordinal))
            {
                // Keep draining stdout so the child never blocks on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync();
                _ = process.StandardError.ReadToEndAsync();
                return process;
            }
        }
    }

    private static (GrpcChannel Channel, Admin.AdminClient Admin, NodeControl.NodeControlClient Node) Connect(string dataDir)
    {
        var conf = File.ReadAllLines(Path.Combine(dataDir, "meshctl.conf")).Where(l => l.Contains(" = ")).ToDictionary(l => l[..l.IndexOf(' ')], l => l[(l.IndexOf('=') + 2)..]);
        var channel = TestCoordinator.CreateChannel(new Uri(conf["url"]), conf["pin"]);
        var admin = new Admin.AdminClient(channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + conf["token"]);
            return m;
        }));
        return (channel, admin, new NodeControl.NodeControlClient(channel));
    }

    [Fact]
    public async Task Kill9_DuringWrites_LeavesConsistentDataAndNodesResume()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "mp-coord-crash-" + Guid.NewGuid().ToString("N"));
        var port = TestCoordinator.FreePort();
        var store = await StoreAsync();
        var process = await StartAsync(dataDir, port, store);
        try
        {
            var (channel, admin, nodeClient) = Connect(dataDir);
            using var a = new TestNode(nodeClient, TimeProvider.System);
            using var b = new TestNode(nodeClient, TimeProvider.System);
            foreach (var (node, name) in new[] { (a, "a"), (b, "b") })
            {
                var join = (await admin.CreateTokenAsync(new CreateTokenRequest { Name = name })).JoinString;
                Assert.True(Contracts.Join.JoinString.TryDecode(join, out var decoded, out _));
                await node.EnrollAsync(decoded.Secret, "");
            }

            await admin.AddGrantAsync(new AddGrantRequest { From = "a", To = "b", Port = 22, Protocol = Protocol.Tcp, Duration = Duration.FromTimeSpan(TimeSpan.FromHours(1)) });
            ulong serial;
            using (var watch = await b.WatchAsync())
            {
                serial = (await WatchReader.NextAsync(watch)).Serial;
            }

            // Hammer the store from several writers, then SIGKILL mid-flight.
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
            {
                var n = 0;
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await admin.CreateTokenAsync(new CreateTokenRequest { Name = $"w{i}-{n}" });
                        await admin.AddGrantAsync(new AddGrantRequest { From = "a", To = "b", Port = (uint)(1000 + (i * 1000) + n), Protocol = Protocol.Tcp, Duration = Duration.FromTimeSpan(TimeSpan.FromMinutes(30)) });
                        n++;
                    }
                    catch (RpcException)
                    {
                        return n;
                    }
                }

                return n;
            })).ToList();
            await Task.Delay(1500);
            process.Kill();
            await process.WaitForExitAsync();
            stop.Cancel();
            var written = (await Task.WhenAll(writers)).Sum();
            Assert.True(written > 0, "no writes happened before the kill; the test proves nothing");
            channel.Dispose();

            process = await StartAsync(dataDir, port, store);
            (channel, admin, nodeClient) = Connect(dataDir);
            using (channel)
            {
                await using (var opened = StoreSpec.Create(store ?? StoreSpec.SqlitePrefix + Path.Combine(dataDir, "coordinator.db")))
                {
                    // SQLite's PRAGMA integrity_check; on PostgreSQL the schema version, every table, and seqs 1..N.
                    Assert.Equal("ok", await opened.CheckIntegrityAsync(CancellationToken.None));
                }

                var verify = await admin.VerifyAuditAsync(new VerifyAuditRequest());
                Assert.True(verify.Ok, verify.Problem);

                var nodes = (await admin.ListNodesAsync(new ListNodesRequest())).Nodes;
                Assert.Equal(["a", "b"], nodes.Select(n => n.Name).Order());
                var tokens = (await admin.ListTokensAsync(new ListTokensRequest())).Tokens;
                Assert.Equal(2, tokens.Count(t => t.UsesLeft < t.UsesTotal));

                // Each change and its audit event share one transaction: whatever the kill interrupted, every stored
                // grant and token has its event and every event its row, exactly.
                var events = (await admin.ListAuditAsync(new ListAuditRequest { Limit = 100_000 })).Events;
                var grantIds = (await admin.ListGrantsAsync(new ListGrantsRequest { IncludeInactive = true })).Grants.Select(g => g.Id).Order().ToList();
                Assert.True(grantIds.Count > 1, "no grant was written before the kill; the test proves nothing");
                Assert.Equal(grantIds, events.Where(e => e.Kind == "grant.added").Select(e => e.Subject).Order().ToList());
                Assert.Equal(tokens.Select(t => t.Id).Order().ToList(), events.Where(e => e.Kind == "token.created").Select(e => e.Subject).Order().ToList());

                // The node resumes from the serial it had: it gets a state newer than that, never an older one.
                b.UseClient(nodeClient);
                using var resumed = await b.WatchAsync(serial);
                var first = await WatchReader.NextAsync(resumed);
                Assert.True(first.Serial > serial, $"resumed serial {first.Serial} is not after {serial}");
                Assert.Equal(WatchEvent.EventOneofCase.Snapshot, first.EventCase);
                Assert.Equal("a", Assert.Single(first.Snapshot.Peers).Name);
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            process.Dispose();
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
