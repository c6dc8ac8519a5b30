using MeshPorts.Integration.Tests.Harness;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Integration.Tests.Tests.Mesh;

/// <summary>The mesh harness must leave nothing behind and say how to fix a missing program.</summary>
[Collection(NetNsCollection.Name)]
public sealed class MeshHarnessTests
{
    [Fact(Timeout = 240_000)]
    public async Task OfficeMesh_WhenDisposed_RemovesNamespacesProcessesSocketsAndItsDirectory()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(220));
        var mesh = await OfficeMesh.StartAsync(cts.Token, withCi: false);
        string[] namespaces = [mesh.Network.Lan.Name, .. mesh.Network.Hosts.Select(h => h.Namespace.Name)];
        string[] sockets = [mesh.Db.ControlSocket, mesh.Db.UapiSocket, mesh.Laptop.ControlSocket, mesh.Laptop.UapiSocket];
        var directory = mesh.Network.Directory;
        // A daemon killed with SIGKILL cannot remove its sockets; disposal must still leave none.
        await mesh.Laptop.KillAsync(cts.Token);

        await mesh.DisposeAsync();

        var list = await Command.RunCheckedAsync(["ip", "netns", "list"], cts.Token);
        Assert.All(namespaces, ns => Assert.DoesNotContain(ns, list, StringComparison.Ordinal));
        Assert.All(sockets, s => Assert.False(File.Exists(s), $"{s} survived disposal"));
        Assert.False(Directory.Exists(directory), $"{directory} survived disposal");
        var leftovers = await Command.RunAsync(["pgrep", "-f", directory], cts.Token);
        Assert.True(leftovers.Stdout.Trim().Length == 0, $"processes using {directory} still run: {leftovers.Stdout}");
    }

    [Fact]
    public void MeshPrograms_WithMissingCoordinatorOrMeshctl_FailNamingTheBuildScript()
    {
        foreach (var (variable, locate) in new (string, Func<string>)[]
        {
            (MeshPrograms.CoordinatorVariable, MeshPrograms.Coordinator),
            (MeshPrograms.MeshctlVariable, MeshPrograms.Meshctl),
        })
        {
            var saved = Environment.GetEnvironmentVariable(variable);
            Environment.SetEnvironmentVariable(variable, "/nonexistent/program");
            try
            {
                var error = Assert.Throws<InvalidOperationException>(() => locate());
                Assert.Contains("scripts/build.sh", error.Message, StringComparison.Ordinal);
                Assert.Contains(variable, error.Message, StringComparison.Ordinal);
            }
            finally
            {
                Environment.SetEnvironmentVariable(variable, saved);
            }
        }
    }

    [Fact]
    public void TcpEnd_ParsesTheHelpersEndLine_AndIgnoresOtherLines()
    {
        var end = TcpEnd.TryParse("ended reset 1764403200.250\n");
        Assert.NotNull(end);
        Assert.Equal("reset", end.Kind);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_764_403_200_250), end.At);
        Assert.Null(TcpEnd.TryParse("ok 12 1764403200.250"));
        Assert.Null(TcpEnd.TryParse("ended reset soon"));
    }

    [Fact]
    public void Iperf3Run_ReadsIntervalsAndTheError()
    {
        var ok = Iperf3Run.Parse(
            exitedZero: true,
            """{"intervals":[{"sum":{"bytes":1000}},{"sum":{"bytes":0}}],"end":{"sum_received":{"bytes":1000}}}""");
        Assert.True(ok.Succeeded);
        Assert.Equal([1000L, 0L], ok.IntervalBytes);
        Assert.Equal(1000, ok.ReceivedBytes);

        var failed = Iperf3Run.Parse(exitedZero: false, """{"intervals":[],"error":"unable to connect to server"}""");
        Assert.False(failed.Succeeded);
        Assert.Equal("unable to connect to server", failed.Error);
    }
}
