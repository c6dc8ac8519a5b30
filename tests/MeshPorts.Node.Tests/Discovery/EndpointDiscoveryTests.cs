using System.Collections.Concurrent;
using System.Net;
using MeshPorts.Node.Daemon;
using MeshPorts.Node.Discovery;
using MeshPorts.Node.Tests.Agent;

namespace MeshPorts.Node.Tests.Discovery;

public sealed class EndpointDiscoveryTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private readonly FakeCoordinatorLink _coordinator = new(new ConcurrentQueue<string>());
    private readonly RecordingLoggers _logs = new();

    public void Dispose() => _logs.Dispose();

    [Fact]
    public async Task Start_ReportsEndpointThenReflexiveThenLocal_LearnedFromTheCoordinatorsStun()
    {
        using var server = new LoopbackStunResponder(IPAddress.Loopback);
        using var underlay = new UdpUnderlay(IPAddress.Loopback);
        await using var discovery = Create(underlay, [server.Endpoint.ToString()], () => ["10.0.0.7:51820"]);

        await discovery.StartAsync(CancellationToken.None);
        var reflexive = underlay.LocalEndpoint.ToString();
        await Until(() => _coordinator.EndpointReports.Any(r => r.Candidates.Contains(reflexive)), "a report with the reflexive address");

        Assert.Equal(["192.0.2.10:51820", reflexive, "10.0.0.7:51820"], _coordinator.EndpointReports.Last().Candidates);
        // Whether the first report went before the STUN answer is a race (a loaded machine may answer first);
        // either way --endpoint leads, and no report has the reflexive address anywhere but second.
        Assert.All(_coordinator.EndpointReports, r =>
            Assert.True(r.Candidates.SequenceEqual(["192.0.2.10:51820", "10.0.0.7:51820"]) || r.Candidates.SequenceEqual(["192.0.2.10:51820", reflexive, "10.0.0.7:51820"]),
                "a report out of order: " + string.Join(", ", r.Candidates)));
        Assert.False(discovery.SymmetricNat);
    }

    [Fact]
    public async Task TwoServersSeeingDifferentPorts_AreLoggedOnceAsASymmetricNat()
    {
        using var first = new LoopbackStunResponder(IPAddress.Loopback);
        using var second = new LoopbackStunResponder(IPAddress.Loopback) { PortShift = 7 };
        using var underlay = new UdpUnderlay(IPAddress.Loopback);
        await using var discovery = Create(underlay, [first.Endpoint.ToString(), second.Endpoint.ToString()], () => [], stunInterval: TimeSpan.FromMilliseconds(100));

        await discovery.StartAsync(CancellationToken.None);
        await Until(() => first.Requests >= 3 && second.Requests >= 3, "three STUN rounds");

        Assert.True(discovery.SymmetricNat);
        Assert.Equal(1, _logs.Count("symmetric NAT: direct paths need the peer to be reachable; relays will be used"));
    }

    [Fact]
    public async Task SilentServer_IsLoggedOnce_NotEveryRound()
    {
        using var silent = new LoopbackStunResponder(IPAddress.Loopback) { LoseFirst = int.MaxValue };
        using var underlay = new UdpUnderlay(IPAddress.Loopback);
        await using var discovery = Create(underlay, [silent.Endpoint.ToString()], () => [], stunInterval: TimeSpan.FromMilliseconds(50));

        await discovery.StartAsync(CancellationToken.None);
        await Until(() => silent.Requests >= 6, "two rounds of three tries");

        Assert.Equal(1, _logs.Count("does not answer"));
    }

    [Fact]
    public async Task LocalAddressChange_AsksStunAgainAtOnce()
    {
        using var server = new LoopbackStunResponder(IPAddress.Loopback);
        using var underlay = new UdpUnderlay(IPAddress.Loopback);
        IReadOnlyList<string> local = ["10.0.0.7:51820"];
        await using var discovery = Create(underlay, [server.Endpoint.ToString()], () => Volatile.Read(ref local), localPoll: TimeSpan.FromMilliseconds(50));
        await discovery.StartAsync(CancellationToken.None);
        await Until(() => server.Requests == 1 && discovery.CurrentCandidates.Count == 3, "the first round");

        Volatile.Write(ref local, ["10.9.9.9:51820"]);
        await Until(() => server.Requests == 2, "a round for the new network");

        await Until(() => discovery.CurrentCandidates.SequenceEqual(["192.0.2.10:51820", underlay.LocalEndpoint.ToString(), "10.9.9.9:51820"]), "the new candidates");
    }

    [Fact]
    public async Task StunOff_AsksNoServer_AndReportsEndpointAndLocalOnly()
    {
        using var server = new LoopbackStunResponder(IPAddress.Loopback);
        using var underlay = new UdpUnderlay(IPAddress.Loopback);
        var relays = 0;
        await using var discovery = Create(underlay, [], () => ["10.0.0.7:51820"], stun: false, relays: () =>
        {
            Interlocked.Increment(ref relays);
            return [server.Endpoint.ToString()];
        });

        await discovery.StartAsync(CancellationToken.None);
        await Until(() => !_coordinator.EndpointReports.IsEmpty, "the first report");
        await Task.Delay(300);

        Assert.Equal(0, server.Requests);
        Assert.Equal(0, Volatile.Read(ref relays));
        Assert.Equal(["192.0.2.10:51820", "10.0.0.7:51820"], _coordinator.EndpointReports.Last().Candidates);
    }

    [Fact]
    public async Task RelayUdpEndpoints_AreAskedToo_AndAMalformedOneIsSkipped()
    {
        using var relay = new LoopbackStunResponder(IPAddress.Loopback);
        using var underlay = new UdpUnderlay(IPAddress.Loopback);
        await using var discovery = Create(underlay, [], () => [], relays: () => ["not-an-endpoint", relay.Endpoint.ToString()]);

        await discovery.StartAsync(CancellationToken.None);

        await Until(() => discovery.CurrentCandidates.Contains(underlay.LocalEndpoint.ToString()), "the relay's STUN answer");
        Assert.Equal(1, _logs.Count("not-an-endpoint"));
    }

    [Fact]
    public async Task StunServerByName_IsResolvedEachRound_AndAFailureIsLoggedOnce()
    {
        using var server = new LoopbackStunResponder(IPAddress.Loopback);
        using var underlay = new UdpUnderlay(IPAddress.Loopback);
        var lookups = 0;
        Task<IPAddress[]> Resolve(string host, CancellationToken cancellation) =>
            Interlocked.Increment(ref lookups) <= 3
                ? Task.FromException<IPAddress[]>(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound))
                : Task.FromResult(new[] { IPAddress.Loopback });
        await using var discovery = Create(underlay, [$"stun.example.net:{server.Endpoint.Port}"], () => [], stunInterval: TimeSpan.FromMilliseconds(50), resolve: Resolve);

        await discovery.StartAsync(CancellationToken.None);

        await Until(() => discovery.CurrentCandidates.Contains(underlay.LocalEndpoint.ToString()), "the answer once the name resolves");
        Assert.Equal(1, _logs.Count("does not resolve"));
    }

    [Fact]
    public void Options_From_AskTheCoordinatorFirstThenStun_AndNothingWhenOff()
    {
        var up = new UpOptions { ListenPort = 4000, InterfaceName = "mp3", StunServers = ["stun.example.net:3478"] };

        var options = EndpointDiscoveryOptions.From(up, new Uri("https://coord.example.net:8443"), ["192.0.2.10:4000"]);
        var v6 = EndpointDiscoveryOptions.From(up, new Uri("https://[2001:db8::1]:443"), []);
        var off = EndpointDiscoveryOptions.From(up with { Stun = false, StunServers = [] }, new Uri("https://coord.example.net:8443"), []);

        Assert.Equal(["coord.example.net:8443", "stun.example.net:3478"], options.StunServers);
        Assert.Equal((ushort)4000, options.ListenPort);
        Assert.Equal("mp3", options.InterfaceName);
        Assert.Equal(["192.0.2.10:4000"], options.Endpoints);
        Assert.Equal("[2001:db8::1]:443", v6.StunServers[0]);
        Assert.Empty(off.StunServers);
        Assert.False(off.Stun);
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"{what}: not within {Wait.TotalSeconds} s");
            }

            await Task.Delay(20);
        }
    }

    private EndpointDiscovery Create(
        UdpUnderlay underlay,
        IReadOnlyList<string> stunServers,
        Func<IReadOnlyList<string>> local,
        bool stun = true,
        Func<IReadOnlyList<string>>? relays = null,
        TimeSpan? stunInterval = null,
        TimeSpan? localPoll = null,
        Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        var options = new EndpointDiscoveryOptions
        {
            Endpoints = ["192.0.2.10:51820"],
            StunServers = stunServers,
            Stun = stun,
            StunInterval = stunInterval ?? TimeSpan.FromMinutes(5),
            LocalPoll = localPoll ?? TimeSpan.FromMinutes(5),
        };
        var discovery = new EndpointDiscovery(options, _coordinator, underlay, () => null, () => [], relays ?? (() => []), TimeProvider.System, _logs, local, resolve);
        underlay.Start(discovery);
        return discovery;
    }
}
