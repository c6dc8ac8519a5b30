using System.Net.Sockets;
using MeshPorts.Node.Routing;
using MeshPorts.Node.Uapi;
using MeshPorts.WireGuard.Keys;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace MeshPorts.Node.Tests.Uapi;

public sealed class UapiServerTests : IAsyncLifetime
{
    private static readonly string KeyA = new('a', 64);
    private static readonly string KeyB = new('b', 64);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mput-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly FakeUapiDevice _device = new();
    private readonly List<UapiServer> _servers = [];

    private UapiServer Server => _servers[0];

    private string SocketPath => Path.Combine(_directory, "run", "wireguard", "mput0.sock");

    public Task InitializeAsync()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The UAPI server tests need unix domain sockets and unix file modes (Linux CI).");
        }

        _servers.Add(new UapiServer(SocketPath, _device, NullLogger.Instance));
        Server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Get_ReturnsTheDeviceSnapshot()
    {
        _device.Current = new UapiDeviceSnapshot
        {
            ListenPort = 4242,
            Peers = [new UapiPeerSnapshot { PublicKey = WgKey.FromBytes(new byte[32]), AllowedIps = [IpPrefix.Parse("10.9.0.0/16")] }],
        };
        using var client = new UapiTestClient(SocketPath);
        var reply = client.Exchange("get=1\n\n");
        Assert.Equal(UapiWriter.FormatGetResponse(_device.Current), reply);
        Assert.Contains("listen_port=4242\n", reply, StringComparison.Ordinal);
        Assert.Contains("allowed_ip=10.9.0.0/16\n", reply, StringComparison.Ordinal);
    }

    [Fact]
    public void Set_AppliesTheParsedRequest()
    {
        using var client = new UapiTestClient(SocketPath);
        var reply = client.Exchange($"set=1\nlisten_port=51000\npublic_key={KeyA}\nallowed_ip=10.0.0.0/24\n\n");
        Assert.Equal("errno=0\n\n", reply);
        var applied = Assert.Single(_device.Applied);
        Assert.Equal((ushort)51000, applied.ListenPort);
        Assert.Equal(KeyA, Assert.Single(applied.Peers).PublicKey.ToHex());
        Assert.Equal(0, Server.MalformedRequests);
    }

    [Fact]
    public void SeveralRequests_OnOneConnection_AreAnsweredInOrder()
    {
        _device.Current = new UapiDeviceSnapshot { Fwmark = 9 };
        using var client = new UapiTestClient(SocketPath);

        // Pipelined: all three requests are written before any reply is read.
        client.Send($"set=1\nfwmark=1\n\nget=1\n\nset=1\npublic_key={KeyB}\nremove=true\n\n");
        Assert.Equal("errno=0\n\n", client.ReadReply());
        Assert.Equal("fwmark=9\nerrno=0\n\n", client.ReadReply());
        Assert.Equal("errno=0\n\n", client.ReadReply());
        Assert.Equal(2, _device.Applied.Count);
        Assert.True(_device.Applied[1].Peers[0].Remove);
    }

    [Fact]
    public void Set_WithABadLineInTheMiddle_ChangesNothing()
    {
        using var client = new UapiTestClient(SocketPath);
        var reply = client.Exchange($"set=1\nlisten_port=1\npublic_key={KeyA}\npersistent_keepalive_interval=70000\nallowed_ip=10.0.0.0/8\n\n");
        Assert.Equal("errno=-22\n\n", reply);
        Assert.Empty(_device.Applied);
        Assert.Equal(1, Server.MalformedRequests);

        // The request was framed correctly, so the connection keeps working.
        Assert.Equal("errno=0\n\n", client.Exchange("set=1\nfwmark=2\n\n"));
        Assert.Single(_device.Applied);
    }

    [Fact]
    public void Set_DeviceError_IsReportedNegated()
    {
        _device.ApplyResult = UapiErrno.AddressInUse;
        using var client = new UapiTestClient(SocketPath);
        Assert.Equal("errno=-98\n\n", client.Exchange("set=1\nlisten_port=53\n\n"));
    }

    [Fact]
    public void Set_LineWithoutEquals_RepliesEprotoAndCloses()
    {
        using var client = new UapiTestClient(SocketPath);
        Assert.Equal("errno=-71\n\n", client.Exchange("set=1\nhello\n\n"));
        Assert.True(client.IsClosedByServer());
        Assert.Empty(_device.Applied);
    }

    [Fact]
    public void UnknownOperation_ClosesWithoutReply()
    {
        using var client = new UapiTestClient(SocketPath);
        client.Send("GET / HTTP/1.1\r\n\r\n");
        Assert.Equal(string.Empty, client.ReadReply());
        Assert.Equal(1, Server.MalformedRequests);
    }

    [Fact]
    public void Get_WithTrailingGarbage_RepliesEinvalAndCloses()
    {
        using var client = new UapiTestClient(SocketPath);
        Assert.Equal("errno=-22\n\n", client.Exchange("get=1\nx\n"));
        Assert.True(client.IsClosedByServer());
    }

    [Fact]
    public void OverlongLine_RepliesEmsgsizeAndCloses()
    {
        using var client = new UapiTestClient(SocketPath);
        client.Send("set=1\nallowed_ip=" + new string('1', UapiServer.MaxLineLength + 10) + "\n\n");
        Assert.Equal("errno=-90\n\n", client.ReadReply());
        Assert.True(client.IsClosedByServer());
        Assert.Empty(_device.Applied);
    }

    [Fact]
    public void ConnectionClosedInsideASet_AppliesNothing()
    {
        using (var client = new UapiTestClient(SocketPath))
        {
            client.Send("set=1\nlisten_port=7\n");
        }

        // A later request on a fresh connection is still served, and the cut-off one never applied.
        using var next = new UapiTestClient(SocketPath);
        Assert.Equal("errno=0\n\n", next.Exchange("get=1\n\n"));
        Assert.Empty(_device.Applied);
    }

    [Fact]
    public void DeviceThatThrows_GetsEio_AndTheServerKeepsServing()
    {
        _device.ThrowOnSnapshot = true;
        using var client = new UapiTestClient(SocketPath);
        Assert.Equal("errno=-5\n\n", client.Exchange("get=1\n\n"));
        _device.ThrowOnSnapshot = false;
        Assert.Equal("errno=0\n\n", client.Exchange("get=1\n\n"));
    }

    [Fact]
    public async Task ManyClients_AreServedConcurrently()
    {
        _device.Current = new UapiDeviceSnapshot { ListenPort = 1 };

        // A client that opened a connection and went silent must not block the others.
        using var idle = new UapiTestClient(SocketPath);
        idle.Send("set=1\n");
        // The clients block on their sockets, so they get threads of their own: on the thread pool they
        // would starve the async server under test of the threads it needs on a 2-core machine.
        var tasks = Enumerable.Range(0, 8).Select(i => Task.Factory.StartNew(
            () =>
            {
                using var client = new UapiTestClient(SocketPath);
                for (var j = 0; j < 20; j++)
                {
                    Assert.Equal("listen_port=1\nerrno=0\n\n", client.Exchange("get=1\n\n"));
                    Assert.Equal("errno=0\n\n", client.Exchange($"set=1\nfwmark={i}\n\n"));
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default));
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(160, _device.Applied.Count);
    }

    [Fact]
    public void Start_CreatesTheDirectoryAndAPrivateSocket()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Fail("Unix file modes do not exist on Windows; this test runs on Linux.");
            return;
        }

        var info = new FileInfo(SocketPath);
        Assert.True(info.Exists);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(SocketPath));
        var dirMode = File.GetUnixFileMode(Path.GetDirectoryName(SocketPath)!);
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
            UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            dirMode);
    }

    [Fact]
    public void Start_WhileAnotherServerIsLive_FailsWithAClearError()
    {
        var second = new UapiServer(SocketPath, new FakeUapiDevice(), NullLogger.Instance);
        var ex = Assert.Throws<InvalidOperationException>(second.Start);
        Assert.Contains("in use", ex.Message, StringComparison.Ordinal);

        // The live server's socket must survive the failed attempt.
        using var client = new UapiTestClient(SocketPath);
        Assert.Equal("errno=0\n\n", client.Exchange("get=1\n\n"));
    }

    [Fact]
    public async Task Start_OverAStaleSocket_ReplacesIt()
    {
        var stalePath = Path.Combine(_directory, "stale.sock");
        // What a crashed daemon leaves behind: a socket file nobody listens on. .NET unlinks the
        // socket it bound on close, so bind elsewhere and move the file into place first.
        using (var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            var boundPath = stalePath + ".tmp";
            stale.Bind(new UnixDomainSocketEndPoint(boundPath));
            File.Move(boundPath, stalePath);
        }

        Assert.True(File.Exists(stalePath));
        var device = new FakeUapiDevice { Current = new UapiDeviceSnapshot { ListenPort = 77 } };
        await using var server = new UapiServer(stalePath, device, NullLogger.Instance);
        server.Start();
        using var client = new UapiTestClient(stalePath);
        Assert.Equal("listen_port=77\nerrno=0\n\n", client.Exchange("get=1\n\n"));
    }

    [Fact]
    public async Task Stop_RemovesTheSocketFile_AndClosesOpenConnections()
    {
        var path = Path.Combine(_directory, "stop.sock");
        var server = new UapiServer(path, new FakeUapiDevice(), NullLogger.Instance);
        server.Start();
        using var client = new UapiTestClient(path);
        Assert.Equal("errno=0\n\n", client.Exchange("get=1\n\n"));
        await server.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(File.Exists(path));
        Assert.True(client.IsClosedByServer());
        await server.DisposeAsync();
    }

    [Fact]
    public async Task StartTwice_Throws_AndStopTwice_IsHarmless()
    {
        Assert.Throws<InvalidOperationException>(Server.Start);
        await Server.StopAsync();
        await Server.StopAsync();
        Assert.False(File.Exists(SocketPath));
        Assert.Throws<InvalidOperationException>(Server.Start);
    }

    [Fact]
    public void ConnectionsBeyondTheLimit_AreClosed_WhileOthersKeepWorking()
    {
        var open = new List<UapiTestClient>();
        try
        {
            for (var i = 0; i < UapiServer.MaxConnections; i++)
            {
                var client = new UapiTestClient(SocketPath);
                open.Add(client);

                // A full exchange proves the server registered this connection before the next one.
                Assert.Equal("errno=0\n\n", client.Exchange("get=1\n\n"));
            }

            using var extra = new UapiTestClient(SocketPath);
            Assert.True(extra.IsClosedByServer());
            Assert.Equal("errno=0\n\n", open[0].Exchange("get=1\n\n"));
        }
        finally
        {
            open.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public void DefaultSocketPath_IsWhereWgLooks()
    {
        Assert.Equal("/var/run/wireguard/wg0.sock", UapiServer.DefaultSocketPath("wg0"));
        Assert.Throws<ArgumentException>(() => UapiServer.DefaultSocketPath("../etc"));
        Assert.Throws<ArgumentException>(() => UapiServer.DefaultSocketPath(""));
    }
}
