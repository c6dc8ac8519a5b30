using MeshPorts.Contracts.Relay;

namespace MeshPorts.Node.Tests.Relay;

public sealed class RelayTicketAndHomeTests
{
    [Fact]
    public async Task NetmapChange_FetchesATicket_AndSendsItOnTheOpenStream()
    {
        await using var h = new RelayHarness();
        var relay = await h.AddRelayAsync("coordinator", udp: false);
        await h.StartAsync();
        Assert.Equal(1, h.Link.Fetches);

        lock (h.Link.Peers)
        {
            h.Link.Peers.Add("peer-c");
        }

        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.Client.NetmapChanged();
        var fresher = await relay.Tickets.Reader.ReadAsync().AsTask().WaitAsync(FakeRelayServer.Wait);

        Assert.Equal(2, h.Link.Fetches);
        Assert.True(RelayTickets.TryVerify(h.Link.TicketKey, fresher, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), out var ticket));
        Assert.Equal(["peer-b", "peer-c"], ticket.PeerNodeIds);
        Assert.Equal(h.Client.CurrentTicket, fresher);
        Assert.Equal(1, relay.ConnectCalls);
    }

    [Fact]
    public async Task Ticket_NoLaterThanTheOneTheRelayHolds_IsNotSentOnTheStream()
    {
        await using var h = new RelayHarness();
        var relay = await h.AddRelayAsync("coordinator", udp: false);
        await h.StartAsync();

        // Same issue time (the clock did not move): a relay would refuse it and end the call.
        h.Client.NetmapChanged();
        await RelayHarness.Eventually(() => h.Link.Fetches == 2, "a second ticket is fetched");
        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        h.Client.NetmapChanged();
        var sent = await relay.Tickets.Reader.ReadAsync().AsTask().WaitAsync(FakeRelayServer.Wait);

        Assert.Equal(h.Client.CurrentTicket, sent);
        Assert.Equal(3, h.Link.Fetches);
        Assert.Equal(0, relay.Tickets.Reader.Count);
    }

    [Fact]
    public async Task Ticket_IsFetchedAgainBeforeItEnds()
    {
        await using var h = new RelayHarness();
        var relay = await h.AddRelayAsync("coordinator", udp: false);
        await h.StartAsync();

        // Tickets live 10 minutes; the next one comes at half of that, without any netmap change. The link counts a
        // fetch before the client stores its ticket, so wait for the stored one to change, not for the count.
        await RelayHarness.Eventually(() => h.Client.CurrentTicket is not null, "the first ticket is stored");
        var first = RelayTicket.Parser.ParseFrom(h.Client.CurrentTicket!.Ticket);
        await RelayHarness.Eventually(
            () =>
            {
                if (h.Link.Fetches < 2)
                {
                    h.Time.Advance(TimeSpan.FromSeconds(30));
                }

                return RelayTicket.Parser.ParseFrom(h.Client.CurrentTicket!.Ticket).IssuedUnixMs != first.IssuedUnixMs;
            },
            "a second ticket is fetched and stored");

        var second = RelayTicket.Parser.ParseFrom(h.Client.CurrentTicket!.Ticket);
        Assert.True(second.IssuedUnixMs < first.NotAfterUnixMs, $"the second ticket came {second.IssuedUnixMs - first.IssuedUnixMs} ms after the first, which ended after {first.NotAfterUnixMs - first.IssuedUnixMs} ms");
        Assert.True(second.IssuedUnixMs - first.IssuedUnixMs >= TimeSpan.FromMinutes(1).TotalMilliseconds, "the second fetch is the timed refresh, not an immediate one");
        await relay.Tickets.Reader.ReadAsync().AsTask().WaitAsync(FakeRelayServer.Wait);
    }

    [Fact]
    public async Task HomeRelay_IsTheOneWithTheLowestKeepaliveRoundTrip()
    {
        await using var h = new RelayHarness();
        var slow = await h.AddRelayAsync("relay-a");
        var fast = await h.AddRelayAsync("relay-b");
        await h.StartAsync();

        // Both first keepalives left at the same instant; relay-b answers after 20 ms, relay-a after 80 ms.
        await slow.ReceiveUdpAsync(RelayFrameKind.Keepalive);
        await h.AnswerKeepaliveAsync(fast, TimeSpan.FromMilliseconds(20));
        await RelayHarness.Eventually(() => h.Client.Sessions["relay-b"].UdpUp, "relay-b's UDP is up");
        h.Time.Advance(TimeSpan.FromMilliseconds(60));
        await slow.SendUdpAsync(slow.Frame(RelayFrameKind.KeepaliveAnswer));
        await RelayHarness.Eventually(() => h.Client.Sessions["relay-a"].UdpUp, "relay-a's UDP is up");

        Assert.Equal(TimeSpan.FromMilliseconds(80), h.Client.Sessions["relay-a"].RoundTrip);
        Assert.Equal(TimeSpan.FromMilliseconds(20), h.Client.Sessions["relay-b"].RoundTrip);
        Assert.Equal("relay-b", h.Client.HomeRelay);
    }
}
