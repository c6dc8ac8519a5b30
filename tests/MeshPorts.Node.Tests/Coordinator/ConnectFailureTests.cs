using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.StateDirectory;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshPorts.Node.Tests.Coordinator;

/// <summary>
/// The reconnect rule depends on telling "nothing answered" from "it answered and failed", and on every retry
/// really trying: gRPC's own connection backoff must not swallow the node's attempts.
/// </summary>
public sealed class ConnectFailureTests
{
    private static readonly string AnyPin = "sha256:" + new string('0', 64);

    [Fact]
    public async Task NothingListening_IsAConnectFailure()
    {
        var port = PinnedTlsTests.FreePort();
        using var machine = MachineKey.Generate();
        await using var client = new CoordinatorClient(new Uri($"https://127.0.0.1:{port}"), AnyPin, machine, TimeProvider.System, NullLogger.Instance);

        var ex = await Assert.ThrowsAsync<CoordinatorException>(() => client.AckAsync(1, CancellationToken.None));

        Assert.Equal(CoordinatorErrorKind.Unreachable, ex.Kind);
        Assert.True(ex.ConnectFailed);
    }

    [Fact]
    public async Task ServerThatAcceptsAndHangsUp_IsNotAConnectFailure()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var hangUps = HangUpAsync(listener);
        using var machine = MachineKey.Generate();
        await using var client = new CoordinatorClient(new Uri($"https://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}"), AnyPin, machine, TimeProvider.System, NullLogger.Instance);

        var ex = await Assert.ThrowsAsync<CoordinatorException>(() => client.AckAsync(1, CancellationToken.None));

        Assert.True(ex.IsTransient);
        Assert.False(ex.ConnectFailed, $"a server that accepted the connection answered; got: {ex.Message}");
        listener.Stop();
        await hangUps;
    }

    [Fact]
    public async Task AfterRefusedCalls_TheNextCallConnectsAtOnce_NoHiddenChannelBackoff()
    {
        var port = PinnedTlsTests.FreePort();
        using var machine = MachineKey.Generate();
        await using var client = new CoordinatorClient(new Uri($"https://127.0.0.1:{port}"), AnyPin, machine, TimeProvider.System, NullLogger.Instance);
        for (var i = 0; i < 4; i++)
        {
            var refused = await Assert.ThrowsAsync<CoordinatorException>(() => client.AckAsync(1, CancellationToken.None));
            Assert.True(refused.ConnectFailed);
        }

        // gRPC's own backoff would now be 1 + 1.6 + 2.6 + 4.1 s long and fail this call without trying.
        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        var accepted = new StrongBox<int>();
        var hangUps = HangUpAsync(listener, accepted);
        var ex = await Assert.ThrowsAsync<CoordinatorException>(() => client.AckAsync(1, CancellationToken.None));

        Assert.True(Volatile.Read(ref accepted.Value) >= 1, $"the call after the coordinator came back did not even try to connect: {ex.Message}");
        Assert.False(ex.ConnectFailed);
        listener.Stop();
        await hangUps;
    }

    /// <summary>Accepts and at once closes every connection (a server that answers, and badly), counting them.</summary>
    private static async Task HangUpAsync(TcpListener listener, StrongBox<int>? accepted = null)
    {
        try
        {
            while (true)
            {
                using var tcp = await listener.AcceptTcpClientAsync();
                if (accepted is not null)
                {
                    Interlocked.Increment(ref accepted.Value);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }
}
