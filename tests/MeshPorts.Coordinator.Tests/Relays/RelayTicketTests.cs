using Google.Protobuf;
using Grpc.Core;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Relay;
using MeshPorts.Coordinator.Tests.Support;
using NSec.Cryptography;

namespace MeshPorts.Coordinator.Tests.Relays;

public sealed class RelayTicketTests
{
    private const string TicketMethod = "/meshports.node.v1.NodeControl/GetRelayTicket";
    private const string RegisterMethod = "/meshports.node.v1.NodeControl/RegisterRelay";

    private static async Task<RelayTicketResponse> TicketAsync(TestCoordinator c, TestNode node)
    {
        var request = new RelayTicketRequest();
        request.Auth = await node.SignAsync(request, TicketMethod);
        return await c.Node.GetRelayTicketAsync(request);
    }

    private static RelayTicket Verified(TestCoordinator c, RelayTicketResponse response)
    {
        Assert.True(RelayTickets.TryParsePublicKey(c.Host.RelayTicketKey, out var key));
        var signed = new SignedTicket { Ticket = response.Ticket, Signature = response.Signature };
        Assert.True(RelayTickets.TryVerify(key, signed, c.Time.GetUtcNow().ToUnixTimeMilliseconds(), out var ticket), "the ticket must verify with the printed relay ticket key");
        return ticket;
    }

    private static async Task<RelayRegistrationResponse> RegisterAsync(TestCoordinator c, TestNode node, string url = "https://relay-eu.example:7444")
    {
        var request = new RelayRegistration { Url = url, ListenPort = 7444, Pin = "sha256:" + new string('a', 64) };
        request.Auth = await node.SignAsync(request, RegisterMethod);
        return await c.Node.RegisterRelayAsync(request);
    }

    [Fact]
    public async Task Ticket_NamesTheCallerAndExactlyItsNetmapPeers_SignedWithThePrintedKey_ForTenMinutes()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        using var stranger = await c.EnrollAsync("stranger");
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"));

        var ticket = Verified(c, await TicketAsync(c, a));
        Assert.Equal(a.Id, ticket.NodeId);
        Assert.Equal(a.MachinePublicKey, ticket.MachinePublicKey.ToByteArray());
        Assert.Equal([b.Id], ticket.PeerNodeIds);
        Assert.Equal(TimeSpan.FromMinutes(10), TimeSpan.FromMilliseconds(ticket.NotAfterUnixMs - ticket.IssuedUnixMs));
        Assert.Equal(c.Time.GetUtcNow().ToUnixTimeMilliseconds(), ticket.IssuedUnixMs);

        // The server side of the grant sees its client; a node no grant touches has nobody to relay to.
        Assert.Equal([a.Id], Verified(c, await TicketAsync(c, b)).PeerNodeIds);
        Assert.Empty(Verified(c, await TicketAsync(c, stranger)).PeerNodeIds);
        Assert.Equal(3, await MetricsReader.ReadAsync(c, "meshports_relay_tickets_issued_total"));
    }

    [Fact]
    public async Task Ticket_DoesNotVerifyWithAnotherKey_NorWhenItsPeersAreWidened_NorAfterItEnds()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"));
        var response = await TicketAsync(c, a);
        var now = c.Time.GetUtcNow().ToUnixTimeMilliseconds();

        using var other = Key.Create(SignatureAlgorithm.Ed25519);
        var signed = new SignedTicket { Ticket = response.Ticket, Signature = response.Signature };
        Assert.False(RelayTickets.TryVerify(other.PublicKey, signed, now, out _));

        Assert.True(RelayTickets.TryParsePublicKey(c.Host.RelayTicketKey, out var key));
        var widened = RelayTicket.Parser.ParseFrom(response.Ticket);
        widened.PeerNodeIds.Add("someone-else");
        Assert.False(RelayTickets.TryVerify(key, new SignedTicket { Ticket = widened.ToByteString(), Signature = response.Signature }, now, out _));

        Assert.True(RelayTickets.TryVerify(key, signed, now + (long)TimeSpan.FromMinutes(10).TotalMilliseconds - 1, out _));
        Assert.False(RelayTickets.TryVerify(key, signed, now + (long)TimeSpan.FromMinutes(10).TotalMilliseconds, out _));
    }

    [Fact]
    public async Task Ticket_AfterTheGrantIsRevoked_NamesThePeerNoMore_OnEitherSide()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        var grant = (await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"))).Grant;
        Assert.Equal([b.Id], Verified(c, await TicketAsync(c, a)).PeerNodeIds);

        await c.Admin.RevokeGrantAsync(new RevokeGrantRequest { Id = grant.Id });
        Assert.Empty(Verified(c, await TicketAsync(c, a)).PeerNodeIds);
        Assert.Empty(Verified(c, await TicketAsync(c, b)).PeerNodeIds);
    }

    [Fact]
    public async Task Ticket_AfterTheGrantEnds_NamesThePeerNoMore()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"));
        c.Time.Advance(TimeSpan.FromHours(1));
        await WaitFor(async () => Verified(c, await TicketAsync(c, a)).PeerNodeIds.Count == 0);
    }

    [Fact]
    public async Task Ticket_WithoutAuth_OrSignedForAnotherMethod_IsRefused()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        var bare = await Assert.ThrowsAsync<RpcException>(async () => await c.Node.GetRelayTicketAsync(new RelayTicketRequest()));
        Assert.Equal(StatusCode.Unauthenticated, bare.StatusCode);

        var request = new RelayTicketRequest();
        request.Auth = await a.SignAsync(request, RegisterMethod);
        var replayed = await Assert.ThrowsAsync<RpcException>(async () => await c.Node.GetRelayTicketAsync(request));
        Assert.Equal(StatusCode.Unauthenticated, replayed.StatusCode);
        Assert.Equal(0, await MetricsReader.ReadAsync(c, "meshports_relay_tickets_issued_total"));
    }

    [Fact]
    public async Task RegisterRelay_WithoutTheRelayTag_IsRefused_AndListsNothing()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var laptop = await c.EnrollAsync("laptop");
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await RegisterAsync(c, laptop));
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("--tag relay", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(["coordinator"], (await TicketAsync(c, laptop)).Relays.Select(r => r.Id));
    }

    [Fact]
    public async Task RegisterRelay_ByATaggedNode_AnswersTheTicketKey_AndIsListedInTickets_UntilItStopsAnnouncing()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var relay = await c.EnrollAsync("relay-eu", tags: ["relay"]);
        using var laptop = await c.EnrollAsync("laptop");
        var answer = await RegisterAsync(c, relay);
        Assert.Equal("relay-eu", answer.RelayId);
        Assert.Equal(30, answer.ReregisterAfterSeconds);
        Assert.Equal(c.Host.RelayTicketKey, Convert.ToBase64String(answer.TicketPublicKey.ToByteArray()));

        var listed = Assert.Single((await TicketAsync(c, laptop)).Relays, r => r.Id != "coordinator");
        Assert.Equal("relay-eu", listed.Id);
        Assert.Equal("https://relay-eu.example:7444", listed.Url);
        Assert.Equal("relay-eu.example:7444", listed.UdpEndpoint);

        c.Time.Advance(TimeSpan.FromSeconds(91));
        Assert.Equal(["coordinator"], (await TicketAsync(c, laptop)).Relays.Select(r => r.Id));
    }

    private static async Task WaitFor(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("condition not met within 5 s");
    }
}
