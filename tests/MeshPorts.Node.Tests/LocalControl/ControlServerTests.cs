using System.Net.Sockets;
using System.Runtime.Versioning;
using MeshPorts.Node.LocalControl;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshPorts.Node.Tests.LocalControl;

[SupportedOSPlatform("linux")]
public sealed class ControlServerTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly string _root = Directory.CreateTempSubdirectory("meshports-control-").FullName;

    private string SocketDirectory => Path.Combine(_root, "run");

    private string SocketPath => ControlServer.PathFor("mp0", SocketDirectory);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private ControlServer Started(Func<string>? status = null, Action? down = null)
    {
        var server = new ControlServer(SocketPath, status ?? (() => "{}"), down ?? (() => { }), NullLogger.Instance);
        server.Start();
        return server;
    }

    [Fact]
    public void PathFor_PutsTheSocketUnderVarRunMeshports()
    {
        Assert.Equal("/var/run/meshports/mp0.sock", ControlServer.PathFor("mp0"));
    }

    [Fact]
    public async Task Status_ReturnsTheProvidersDocument()
    {
        await using var server = Started(status: () => """{"name":"db"}""");

        var answer = await ControlClient.RequestAsync(SocketPath, "status", Wait);

        Assert.Equal("{\"name\":\"db\"}\n", answer);
    }

    [Fact]
    public async Task Down_AnswersOkAndCallsTheCallback()
    {
        var downCalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = Started(down: () => downCalled.TrySetResult());

        var answer = await ControlClient.RequestAsync(SocketPath, "down", Wait);

        Assert.Equal("ok\n", answer);
        await downCalled.Task.WaitAsync(Wait);
    }

    [Fact]
    public async Task UnknownRequest_IsAnsweredWithWhatIsUnderstood()
    {
        var downCalls = 0;
        await using var server = Started(down: () => Interlocked.Increment(ref downCalls));

        var answer = await ControlClient.RequestAsync(SocketPath, "reboot", Wait);

        Assert.StartsWith("error", answer, StringComparison.Ordinal);
        Assert.Contains("'status' or 'down'", answer, StringComparison.Ordinal);
        Assert.Equal(0, Volatile.Read(ref downCalls));
    }

    [Fact]
    public async Task Start_SocketIsOwnerOnlyAndItsDirectoryToo()
    {
        await using var server = Started();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SocketPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(SocketDirectory));
    }

    [Fact]
    public async Task Start_ExistingDirectoryWithLooseMode_IsTightened()
    {
        Directory.CreateDirectory(SocketDirectory);
        File.SetUnixFileMode(SocketDirectory, (UnixFileMode)0b111_101_101);

        await using var server = Started();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(SocketDirectory));
    }

    [Fact]
    public async Task Start_WhileAnotherServerIsLive_IsRefusedAndLeavesItServing()
    {
        await using var first = Started(status: () => "first");
        var second = new ControlServer(SocketPath, () => "second", () => { }, NullLogger.Instance);

        var error = Assert.Throws<InvalidOperationException>(second.Start);
        await second.DisposeAsync();

        Assert.Contains("already runs this interface", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(SocketPath), "disposing the refused server removed the live server's socket");
        Assert.Equal("first\n", await ControlClient.RequestAsync(SocketPath, "status", Wait));
    }

    [Fact]
    public async Task Start_OverStaleSocketFile_ReplacesIt()
    {
        Directory.CreateDirectory(SocketDirectory);
        var elsewhere = Path.Combine(_root, "elsewhere.sock");
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            // A socket file nobody listens on, as a crashed daemon leaves behind. Moved into place
            // because .NET deletes the file of a socket it bound when that socket is disposed.
            dead.Bind(new UnixDomainSocketEndPoint(elsewhere));
            File.Move(elsewhere, SocketPath);
        }

        Assert.True(File.Exists(SocketPath), "the stale socket file was not created");

        await using var server = Started(status: () => "fresh");

        Assert.Equal("fresh\n", await ControlClient.RequestAsync(SocketPath, "status", Wait));
    }

    [Fact]
    public async Task Dispose_RemovesTheSocket_AndClientsThenGetAnErrorThatSaysSo()
    {
        var server = Started();
        Assert.True(File.Exists(SocketPath));

        await server.DisposeAsync();

        Assert.False(File.Exists(SocketPath));
        var error = await Assert.ThrowsAsync<IOException>(() => ControlClient.RequestAsync(SocketPath, "status", Wait));
        Assert.Contains("is 'meshports-node up' running", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_WhenTheProviderThrows_AnswersWithAnError()
    {
        await using var server = Started(status: () => throw new InvalidOperationException("device is gone"));

        var answer = await ControlClient.RequestAsync(SocketPath, "status", Wait);

        // Today the exception escapes the fire-and-forget ServeAsync and the client reads an empty answer.
        Assert.StartsWith("error", answer, StringComparison.Ordinal);
    }

    [Fact]
    public void IsLive_WithoutASocket_IsFalse()
    {
        Assert.False(MeshPorts.Node.Io.UnixSocketProbe.IsLive(SocketPath));
    }
}
