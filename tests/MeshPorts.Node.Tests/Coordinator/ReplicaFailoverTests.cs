using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Join;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.Agent;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.Filter;
using MeshPorts.Node.StateDirectory;
using MeshPorts.Node.Tests.Agent;
using MeshPorts.Node.Tests.StateDirectory;
using MeshPorts.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using MeshDevice = MeshPorts.Node.Device.Device;

namespace MeshPorts.Node.Tests.Coordinator;

/// <summary>
/// Two coordinator URLs, the first a closed port, the second the real coordinator process: the node enrolls,
/// keeps both URLs in node.json, and its control loop (the real gRPC link under the real agent) follows the
/// second replica, acks reaching the coordinator.
/// </summary>
public sealed class ReplicaFailoverTests : IClassFixture<CoordinatorProcess>, IDisposable
{
    private readonly CoordinatorProcess _coordinator;
    private readonly TempStateDir _dir = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private readonly Uri _closed = new($"https://127.0.0.1:{ClosedPort()}");

    public ReplicaFailoverTests(CoordinatorProcess coordinator)
    {
        _coordinator = coordinator;
    }

    public void Dispose()
    {
        _timeout.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Enroll_WithTheFirstReplicaDown_EnrollsAtTheSecond_AndKeepsBothUrls()
    {
        var join = await TwoReplicaJoinAsync("failover-enroll");
        var store = new NodeStateStore(_dir.State);

        var identity = await EnrollAsync(store, join);
        using var machine = identity.Machine;

        Assert.True(identity.Record.IsComplete);
        Assert.Equal([_closed, Authority(_coordinator.Url)], identity.Record.Urls());
        Assert.Equal([_closed, Authority(_coordinator.Url)], store.LoadEnrollment()!.Urls());
        Assert.Equal(_closed.GetLeftPart(UriPartial.Authority), store.LoadEnrollment()!.CoordinatorUrl);
        Assert.Single(await _coordinator.NodesNamedAsync("failover-enroll"));
    }

    [Fact]
    public async Task Agent_WithTheFirstReplicaDown_FollowsTheSecond_AndItsAcksArrive()
    {
        var store = new NodeStateStore(_dir.State);
        var identity = await EnrollAsync(store, await TwoReplicaJoinAsync("failover-agent"));
        using var machine = identity.Machine;
        var record = identity.Record;
        await using var link = new CoordinatorLink([.. record.Urls().Select(u => new CoordinatorClient(u, record.Pin, machine, TimeProvider.System, NullLogger.Instance))]);
        Assert.Equal(_closed, link.CurrentUrl);

        var log = new ConcurrentQueue<string>();
        using var device = new MeshDevice(new MemoryTun("fo0"), new MemoryNetwork().Host("192.0.2.9"), TimeProvider.System, NullLogger.Instance,
            filter: new PacketFilter(TimeProvider.System, [IPAddress.Parse(record.OverlayIpv4!)]));
        device.Configure(identity.WireGuardKey, 51820);
        using var agent = new MeshAgent(device, link, new FakeKeyStore(log), identity.WireGuardKey, null, record.KeyExpiresAt, TimeSpan.FromHours(1),
            AgentHarness.Fast, TimeProvider.System, NullLogger.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token);
        var run = agent.RunAsync(stop.Token);
        try
        {
            var node = await AppliedAsync("failover-agent");

            Assert.True(agent.Status().Connected, $"the agent is not connected: {agent.Status().LastError}");
            Assert.Equal(Authority(_coordinator.Url), link.CurrentUrl);
            Assert.True(node.AppliedSerial > 0);
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await run.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (OperationCanceledException)
            {
                // How a cancelled agent ends.
            }
        }
    }

    private static Uri Authority(Uri url) => new(url.GetLeftPart(UriPartial.Authority));

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The coordinator's join string, re-encoded with a dead replica in front, as a coordinator with --public-url DEAD,LIVE prints it.</summary>
    private async Task<JoinString> TwoReplicaJoinAsync(string name)
    {
        var real = JoinString.Parse(await _coordinator.CreateJoinStringAsync(name));
        return JoinString.Parse(JoinString.Encode([_closed, real.Url], real.Pin, real.Secret));
    }

    private Task<EnrolledIdentity> EnrollAsync(NodeStateStore store, JoinString join) =>
        NodeEnrollment.EnsureEnrolledAsync(store, join, null, [], ["127.0.0.1:51820"], TimeProvider.System, NullLogger.Instance, _timeout.Token);

    /// <summary>Waits until the coordinator has the node's ack of its first snapshot.</summary>
    private async Task<Contracts.Admin.Node> AppliedAsync(string name)
    {
        while (true)
        {
            var node = (await _coordinator.NodesNamedAsync(name)).Single();
            if (node.AppliedSerial > 0)
            {
                return node;
            }

            await Task.Delay(50, _timeout.Token);
        }
    }
}
