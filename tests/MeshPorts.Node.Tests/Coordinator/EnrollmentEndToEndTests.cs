using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Join;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.StateDirectory;
using MeshPorts.Node.Tests.StateDirectory;
using MeshPorts.WireGuard.Keys;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MeshPorts.Node.Tests.Coordinator;

/// <summary>The node's control client and enrollment against the real coordinator process on loopback.</summary>
public sealed class EnrollmentEndToEndTests : IClassFixture<CoordinatorProcess>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly CoordinatorProcess _coordinator;
    private readonly TempStateDir _dir = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    public EnrollmentEndToEndTests(CoordinatorProcess coordinator)
    {
        _coordinator = coordinator;
    }

    public void Dispose()
    {
        _timeout.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task EnsureEnrolled_WithFreshToken_EnrollsAndTheWatchSnapshotShowsTheSameSelf()
    {
        var join = JoinString.Parse(await _coordinator.CreateJoinStringAsync("node-a"));
        var store = new NodeStateStore(_dir.State);

        var identity = await EnrollAsync(store, join, "node-a");
        using var machine = identity.Machine;

        var record = identity.Record;
        Assert.True(record.IsComplete);
        Assert.Equal("node-a", record.Name);
        Assert.Equal("alice", record.User);
        Assert.Equal(_coordinator.Url.GetLeftPart(UriPartial.Authority), record.CoordinatorUrl);
        Assert.True(record.KeyLifetimeSeconds > 0);
        Assert.Equal(record, store.LoadEnrollment()! with { Tags = record.Tags });
        foreach (var file in Directory.GetFiles(_dir.State))
        {
            Assert.DoesNotContain(join.Secret, await File.ReadAllTextAsync(file), StringComparison.Ordinal);
        }

        await using var client = new CoordinatorClient(_coordinator.Url, _coordinator.Pin, machine, TimeProvider.System, NullLogger.Instance);
        var first = await FirstEventAsync(client, 0);
        Assert.Equal(WatchEvent.EventOneofCase.Snapshot, first.EventCase);
        var self = first.Snapshot.Self;
        Assert.Equal((record.NodeId, record.Name, record.OverlayIpv4, record.OverlayIpv6), (self.NodeId, self.Name, self.OverlayIpv4, self.OverlayIpv6));
        Assert.Equal(identity.WireGuardKey.PublicFromPrivate().AsSpan().ToArray(), self.WireguardPublicKey.ToByteArray());
    }

    [Fact]
    public async Task AckRotateKeyAndReport_OnAnEnrolledNode_AreAcceptedByTheCoordinator()
    {
        var join = JoinString.Parse(await _coordinator.CreateJoinStringAsync("node-b"));
        var store = new NodeStateStore(_dir.State);
        var identity = await EnrollAsync(store, join, "node-b");
        using var machine = identity.Machine;
        await using var client = new CoordinatorClient(_coordinator.Url, _coordinator.Pin, machine, TimeProvider.System, NullLogger.Instance);
        var snapshot = await FirstEventAsync(client, 0);

        await client.AckAsync(snapshot.Serial, _timeout.Token);
        var acked = Assert.Single(await _coordinator.NodesNamedAsync("node-b"));
        Assert.Equal(snapshot.Serial, acked.AppliedSerial);

        var next = WgKey.GeneratePrivate();
        store.SaveNextWireGuardKey(next);
        var rotated = await client.RotateKeyAsync(next.PublicFromPrivate().AsSpan().ToArray(), _timeout.Token);
        store.PromoteNextWireGuardKey();
        Assert.True(rotated.Serial > snapshot.Serial, $"rotation serial {rotated.Serial} should follow the snapshot's {snapshot.Serial}");
        Assert.True(rotated.KeyExpiresAt.ToDateTimeOffset() > DateTimeOffset.UtcNow);
        var after = Assert.Single(await _coordinator.NodesNamedAsync("node-b"));
        Assert.Equal(next.PublicFromPrivate().ToBase64(), after.PublicKey);

        var flow = new DeniedFlow
        {
            SourceAddress = "100.64.0.99",
            DestinationAddress = identity.Record.OverlayIpv4,
            Port = 22,
            Protocol = Protocol.Tcp,
            Count = 3,
            FirstSeen = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddSeconds(-5)),
            LastSeen = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        };
        await client.ReportDeniedFlowsAsync([flow], _timeout.Token);
    }

    [Fact]
    public async Task EnsureEnrolled_SecondStartWithTheSameStateDir_DoesNotEnrollAgain()
    {
        // A fleet token (several uses, so no name: the coordinator names the node node-N).
        var join = JoinString.Parse(await _coordinator.CreateJoinStringAsync("", uses: 5));
        var store = new NodeStateStore(_dir.State);
        var first = await EnrollAsync(store, join, null);
        first.Machine.Dispose();

        var second = await EnrollAsync(new NodeStateStore(_dir.State), join, null);
        using var secondMachine = second.Machine;
        var third = await EnrollAsync(new NodeStateStore(_dir.State), null, null);
        using var thirdMachine = third.Machine;

        Assert.True(second.Record.IsComplete);
        Assert.Equal(first.Record.NodeId, second.Record.NodeId);
        Assert.Equal(first.Record.NodeId, third.Record.NodeId);
        Assert.Equal(first.WireGuardKey, third.WireGuardKey);
        Assert.Single((await _coordinator.Admin.ListNodesAsync(new ListNodesRequest())).Nodes, n => n.Id == first.Record.NodeId);
        var token = (await _coordinator.Admin.ListTokensAsync(new ListTokensRequest())).Tokens.Single(t => t.UsesTotal == 5);
        Assert.Equal(4u, token.UsesLeft);
    }

    [Fact]
    public async Task EnsureEnrolled_AfterACrashBeforeNodeJsonWasSaved_RecoversTheSameIdentity()
    {
        var join = JoinString.Parse(await _coordinator.CreateJoinStringAsync("node-d"));
        var store = new NodeStateStore(_dir.State);
        var original = await EnrollAsync(store, join, "node-d");
        original.Machine.Dispose();
        File.Delete(store.PathOf(NodeStateStore.EnrollmentFile));

        var recovered = await EnrollAsync(new NodeStateStore(_dir.State), join, "node-d");
        using var machine = recovered.Machine;

        Assert.False(recovered.Record.IsComplete);
        Assert.Equal((original.Record.CoordinatorUrl, original.Record.Pin), (recovered.Record.CoordinatorUrl, recovered.Record.Pin));
        Assert.Equal(recovered.Record, store.LoadEnrollment()! with { Tags = recovered.Record.Tags });
        Assert.Single(await _coordinator.NodesNamedAsync("node-d"));

        // What the daemon does with the first snapshot: complete the record and save it.
        await using var client = new CoordinatorClient(new Uri(recovered.Record.CoordinatorUrl), recovered.Record.Pin, machine, TimeProvider.System, NullLogger.Instance);
        var snapshot = await FirstEventAsync(client, 0);
        var complete = recovered.Record.CompleteFrom(snapshot.Snapshot.Self);
        Assert.True(complete.IsComplete);
        Assert.Equal(original.Record with { KeyLifetimeSeconds = null, Tags = complete.Tags }, complete);
    }

    [Fact]
    public async Task EnsureEnrolled_WithAPinThatIsNotTheCoordinators_IsRefusedAsPinMismatch()
    {
        var real = JoinString.Parse(await _coordinator.CreateJoinStringAsync("node-e"));
        var wrongPin = "sha256:" + new string('7', 64);
        var join = JoinString.Parse(JoinString.Encode(real.Url, wrongPin, real.Secret));

        var ex = await Assert.ThrowsAsync<CoordinatorException>(() => EnrollAsync(new NodeStateStore(_dir.State), join, "node-e"));

        Assert.Equal(CoordinatorErrorKind.PinMismatch, ex.Kind);
        Assert.Contains($"presented {_coordinator.Pin} but the join string pins {wrongPin}", ex.Message);
        Assert.Empty(await _coordinator.NodesNamedAsync("node-e"));
    }

    [Fact]
    public async Task EnsureEnrolled_WithAUsedUpToken_IsRefusedWithTheFix()
    {
        var join = JoinString.Parse(await _coordinator.CreateJoinStringAsync("node-f"));
        var first = await EnrollAsync(new NodeStateStore(Path.Combine(_dir.Root, "first")), join, "node-f");
        first.Machine.Dispose();

        var ex = await Assert.ThrowsAsync<CoordinatorException>(() => EnrollAsync(new NodeStateStore(_dir.State), join, "node-f"));

        Assert.Equal(CoordinatorErrorKind.Refused, ex.Kind);
        Assert.False(ex.IsTransient);
        Assert.Contains("already been used; ask an admin for a new one", ex.Message);
        Assert.Single(await _coordinator.NodesNamedAsync("node-f"));
        Assert.Null(new NodeStateStore(_dir.State).LoadEnrollment());
    }

    [Fact]
    public async Task Enroll_WithTheNodeClockFarOff_IsClockSkewNamingNtp()
    {
        var join = JoinString.Parse(await _coordinator.CreateJoinStringAsync("node-g"));
        var skewed = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(10));
        var store = new NodeStateStore(_dir.State);

        var ex = await Assert.ThrowsAsync<CoordinatorException>(() => NodeEnrollment.EnsureEnrolledAsync(
            store, join, "node-g", [], [], skewed, NullLogger.Instance, _timeout.Token));

        Assert.Equal(CoordinatorErrorKind.ClockSkew, ex.Kind);
        Assert.Contains("NTP", ex.Message);
    }

    [Fact]
    public async Task Calls_AfterTheNodeWasRemoved_AreUnauthenticated()
    {
        var join = JoinString.Parse(await _coordinator.CreateJoinStringAsync("node-h"));
        var identity = await EnrollAsync(new NodeStateStore(_dir.State), join, "node-h");
        using var machine = identity.Machine;
        await _coordinator.Admin.RemoveNodeAsync(new RemoveNodeRequest { Name = "node-h" });
        await using var client = new CoordinatorClient(_coordinator.Url, _coordinator.Pin, machine, TimeProvider.System, NullLogger.Instance);

        var ex = await Assert.ThrowsAsync<CoordinatorException>(() => client.AckAsync(1, _timeout.Token));

        Assert.Equal(CoordinatorErrorKind.Unauthenticated, ex.Kind);
        Assert.Contains("join string", ex.Message);
    }

    [Fact]
    public async Task Watch_WhenCancelled_EndsQuietly()
    {
        var join = JoinString.Parse(await _coordinator.CreateJoinStringAsync("node-i"));
        var identity = await EnrollAsync(new NodeStateStore(_dir.State), join, "node-i");
        using var machine = identity.Machine;
        await using var client = new CoordinatorClient(_coordinator.Url, _coordinator.Pin, machine, TimeProvider.System, NullLogger.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token);

        var seen = 0;
        await foreach (var e in client.WatchAsync(0, stop.Token))
        {
            seen++;
            await stop.CancelAsync();
        }

        Assert.Equal(1, seen);
        Assert.False(_timeout.IsCancellationRequested, "the enumeration should end on our cancellation, not the test timeout");
    }

    private Task<EnrolledIdentity> EnrollAsync(NodeStateStore store, JoinString? join, string? name) =>
        NodeEnrollment.EnsureEnrolledAsync(
            store,
            join,
            name,
            [new ExposedService { Port = 5432, Protocol = Protocol.Tcp, Name = "postgres" }],
            ["127.0.0.1:51820"],
            TimeProvider.System,
            NullLogger.Instance,
            _timeout.Token);

    private async Task<WatchEvent> FirstEventAsync(CoordinatorClient client, ulong resume)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token);
        stop.CancelAfter(Patience);
        await foreach (var e in client.WatchAsync(resume, stop.Token))
        {
            return e;
        }

        throw new TimeoutException($"no Watch event within {Patience.TotalSeconds} s; coordinator log:\n{_coordinator.Log}");
    }
}
