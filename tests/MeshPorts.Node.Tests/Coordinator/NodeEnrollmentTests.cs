using MeshPorts.Contracts.Join;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.StateDirectory;
using MeshPorts.Node.Tests.StateDirectory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshPorts.Node.Tests.Coordinator;

/// <summary>The paths of EnsureEnrolledAsync that must not talk to any coordinator.</summary>
public sealed class NodeEnrollmentTests : IDisposable
{
    private const string StoredPin = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private readonly TempStateDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task EnsureEnrolled_WithoutNodeJsonOrJoinString_AsksForJoin()
    {
        var store = new NodeStateStore(_dir.State);

        var ex = await Assert.ThrowsAsync<NodeStateException>(() =>
            NodeEnrollment.EnsureEnrolledAsync(store, null, null, [], [], TimeProvider.System, NullLogger.Instance, CancellationToken.None));

        Assert.Contains("pass --join", ex.Message);
        Assert.Contains(store.PathOf(NodeStateStore.EnrollmentFile), ex.Message);
    }

    [Fact]
    public async Task EnsureEnrolled_WithNodeJsonAndAnotherCoordinatorsJoin_KeepsTheSavedIdentityAndWarns()
    {
        var store = new NodeStateStore(_dir.State);
        using (store.LoadOrCreateMachineKey())
        {
        }

        var key = store.LoadOrCreateWireGuardKey();
        var saved = new EnrollmentRecord { CoordinatorUrl = "https://10.1.1.1:7443", Pin = StoredPin, NodeId = "n1", Name = "db", OverlayIpv4 = "100.64.0.2", OverlayIpv6 = "fd00::2" };
        store.SaveEnrollment(saved);

        // Port 1 on loopback: if the method tried to enroll, it would fail as unreachable.
        var join = JoinString.Parse(JoinString.Encode(new Uri("https://127.0.0.1:1"), "sha256:" + new string('2', 64), "secret"));
        var logger = new ListLogger();
        var identity = await NodeEnrollment.EnsureEnrolledAsync(store, join, "other", [], [], TimeProvider.System, logger, CancellationToken.None);
        using var machine = identity.Machine;

        Assert.Equal(saved with { Tags = identity.Record.Tags }, identity.Record);
        Assert.Equal(key, identity.WireGuardKey);
        var warning = Assert.Single(logger.Messages, m => m.Level == LogLevel.Warning);
        Assert.Contains("https://127.0.0.1:1", warning.Text);
        Assert.Contains("keeping the saved identity", warning.Text);
    }

    [Fact]
    public async Task EnsureEnrolled_WithNodeJsonButNoMachineKey_SaysTheIdentityIsLost()
    {
        var store = new NodeStateStore(_dir.State);
        store.SaveEnrollment(new EnrollmentRecord { CoordinatorUrl = "https://10.1.1.1:7443", Pin = StoredPin });

        var ex = await Assert.ThrowsAsync<NodeStateException>(() =>
            NodeEnrollment.EnsureEnrolledAsync(store, null, null, [], [], TimeProvider.System, NullLogger.Instance, CancellationToken.None));

        Assert.Contains(store.PathOf(NodeStateStore.MachineKeyFile), ex.Message);
        Assert.Contains("enroll again with --join", ex.Message);
        Assert.False(File.Exists(store.PathOf(NodeStateStore.MachineKeyFile)), "a new machine key must not silently replace the enrolled one");
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add((logLevel, formatter(state, exception)));
    }
}
