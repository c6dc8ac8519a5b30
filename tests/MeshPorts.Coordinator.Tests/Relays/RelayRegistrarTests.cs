using System.Net;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.State;
using MeshPorts.Coordinator.State.Relays;
using MeshPorts.Coordinator.Storage;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace MeshPorts.Coordinator.Tests.Relays;

/// <summary>Who may announce a relay, what it may claim, and how long it stays listed.</summary>
public sealed class RelayRegistrarTests
{
    private const string Pin = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-02T06:00:00Z"));

    [Fact]
    public void ANodeTaggedRelayIsListedAndGetsTheTicketKey()
    {
        var (registrar, directory) = Make();
        var answer = registrar.Register(Node("relay-eu", "relay"), new RelayRegistration { ListenPort = 7444, Pin = Pin }, IPAddress.Parse("198.18.5.5"));
        Assert.Equal("relay-eu", answer.RelayId);
        Assert.Equal(32, answer.TicketPublicKey.Length);
        var listed = Assert.Single(directory.Active());
        Assert.Equal("https://198.18.5.5:7444", listed.Url);
        Assert.Equal("198.18.5.5:7444", listed.UdpEndpoint);
        Assert.Equal(Pin, listed.Pin);
    }

    [Fact]
    public void AnOrdinaryNodeCannotBecomeARelay()
    {
        var (registrar, directory) = Make();
        var refused = Assert.Throws<StateException>(() =>
            registrar.Register(Node("laptop", "dev"), new RelayRegistration { ListenPort = 7444, Pin = Pin }, IPAddress.Loopback));
        Assert.Equal(StateError.PermissionDenied, refused.Error);
        Assert.Contains("--tag relay", refused.Message, StringComparison.Ordinal);
        Assert.Empty(directory.Active());
    }

    [Theory]
    [InlineData("http://relay.example:7444", 7444, Pin)]
    [InlineData("https://relay.example:7444/path", 7444, Pin)]
    [InlineData("https://user@relay.example:7444", 7444, Pin)]
    [InlineData("", 0, Pin)]
    [InlineData("", 70000, Pin)]
    [InlineData("", 7444, "sha256:short")]
    public void BadClaimsAreRefusedAndNothingIsListed(string url, int port, string pin)
    {
        var (registrar, directory) = Make();
        var refused = Assert.Throws<StateException>(() =>
            registrar.Register(Node("relay-eu", "relay"), new RelayRegistration { Url = url, ListenPort = (uint)port, Pin = pin }, IPAddress.Loopback));
        Assert.Equal(StateError.InvalidArgument, refused.Error);
        Assert.Empty(directory.Active());
    }

    [Fact]
    public void NoRelayMayTakeTheEmbeddedRelaysId()
    {
        var (registrar, _) = Make();
        var refused = Assert.Throws<StateException>(() =>
            registrar.Register(Node(RelayRegistrar.EmbeddedId, "relay"), new RelayRegistration { ListenPort = 7444, Pin = Pin }, IPAddress.Loopback));
        Assert.Equal(StateError.InvalidArgument, refused.Error);
    }

    [Fact]
    public void ARelayThatStopsAnnouncingIsDroppedAfterItsLifetime()
    {
        var (registrar, directory) = Make();
        registrar.Register(Node("relay-eu", "relay"), new RelayRegistration { Url = "https://relay-eu.example:443", ListenPort = 443, Pin = Pin }, null);
        _time.Advance(RelayDirectory.Lifetime - TimeSpan.FromSeconds(1));
        Assert.Single(directory.Active());
        registrar.Register(Node("relay-eu", "relay"), new RelayRegistration { Url = "https://relay-eu.example:443", ListenPort = 443, Pin = Pin }, null);
        _time.Advance(RelayDirectory.Lifetime - TimeSpan.FromSeconds(1));
        Assert.Single(directory.Active());
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(directory.Active());
    }

    [Fact]
    public void TheDirectoryIsBounded()
    {
        var directory = new RelayDirectory(_time);
        for (var i = 0; i < RelayDirectory.Capacity; i++)
        {
            Assert.True(directory.Register(new RelayServer { Id = $"r{i}", Url = "https://r.example:1", Pin = Pin }));
        }

        Assert.False(directory.Register(new RelayServer { Id = "one-more", Url = "https://r.example:1", Pin = Pin }));
        Assert.True(directory.Register(new RelayServer { Id = "r0", Url = "https://r0.example:2", Pin = Pin }));
        _time.Advance(RelayDirectory.Lifetime + TimeSpan.FromSeconds(1));
        Assert.True(directory.Register(new RelayServer { Id = "one-more", Url = "https://r.example:1", Pin = Pin }));
    }

    private (RelayRegistrar Registrar, RelayDirectory Directory) Make()
    {
        var directory = new RelayDirectory(_time);
        return (new RelayRegistrar(directory, new byte[32]), directory);
    }

    private static NodeRecord Node(string name, params string[] tags) => new()
    {
        Id = "n_" + name,
        Name = name,
        Tags = tags,
        MachineKey = new byte[32],
        WireGuardKey = new byte[32],
    };
}
