using MeshPorts.Contracts.Relay;
using MeshPorts.Contracts.Transport;
using MeshPorts.Node.Paths;
using NSec.Cryptography;

namespace MeshPorts.Node.Tests.Relay;

public sealed class RelayConnectTests
{
    [Fact]
    public async Task Hello_IsSignedByTheMachineKeyOverThisConnectionsChallenge()
    {
        await using var h = new RelayHarness();
        var relay = await h.AddRelayAsync("coordinator");
        await h.StartAsync();

        var (nonce, hello) = await relay.Hellos.Reader.ReadAsync().AsTask().WaitAsync(FakeRelayServer.Wait);

        Assert.Equal(1, relay.VerifiedHellos);
        var machine = PublicKey.Import(SignatureAlgorithm.Ed25519, h.Machine.PublicKey.Span, KeyBlobFormat.RawPublicKey);
        var ticket = RelayTicket.Parser.ParseFrom(hello.Ticket.Ticket);
        Assert.Equal(RelayHarness.NodeId, ticket.NodeId);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(machine, RelaySignatures.HelloBytes(nonce, hello.TimestampUnixMs, hello.Ticket.Ticket.Span), hello.Signature.Span));

        // The signature covers the challenge: it does not pass for any other connection's nonce.
        var other = (byte[])nonce.Clone();
        other[0] ^= 1;
        Assert.False(SignatureAlgorithm.Ed25519.Verify(machine, RelaySignatures.HelloBytes(other, hello.TimestampUnixMs, hello.Ticket.Ticket.Span), hello.Signature.Span));
        Assert.Equal(h.Time.GetUtcNow().ToUnixTimeMilliseconds(), hello.TimestampUnixMs);
    }

    [Fact]
    public async Task Relay_WithAnotherPin_IsNeverConnected()
    {
        await using var h = new RelayHarness();
        using var impostor = FakeRelayServer.SelfSigned("impostor");
        var relay = await h.AddRelayAsync("coordinator", listedPin: CertificatePin.Of(impostor));
        h.SetPeer("coordinator");
        h.Client.Start();

        await RelayHarness.Eventually(() => h.Log.Messages.Any(m => m.Contains("presented " + relay.Pin, StringComparison.Ordinal)), "the pin mismatch is logged");

        Assert.Equal(0, relay.ConnectCalls);
        Assert.Null(h.Client.Sessions["coordinator"].Connection);
        Assert.Equal(RelayTransport.None, h.Client.TransportFor(RelayHarness.Peer));
        Assert.Null(h.Client.RouteFor(RelayHarness.Peer));
        Assert.False(h.Client.Send(RelayHarness.Peer, [1, 2, 3]));
        Assert.Null(h.Client.HomeRelay);
    }

    [Fact]
    public async Task Relay_ThatEndsTheStream_IsReconnectedAfterBackoff()
    {
        await using var h = new RelayHarness();
        var relay = await h.AddRelayAsync("coordinator", udp: false);
        await h.StartAsync();
        var session = h.Client.Sessions["coordinator"];

        relay.Kick();
        await RelayHarness.Eventually(() => session.Connection is null, "the kicked stream is noticed");
        Assert.Equal(1, relay.VerifiedHellos);

        // The backoff runs on the node's clock: step it until the node is back.
        await RelayHarness.Eventually(
            () =>
            {
                h.Time.Advance(TimeSpan.FromMilliseconds(500));
                return session.Connection is not null && relay.VerifiedHellos == 2;
            },
            "the node reconnects with a fresh hello");
    }

    [Fact]
    public async Task Logs_NeverCarryTheTicketOrKeys()
    {
        await using var h = new RelayHarness();
        var relay = await h.AddRelayAsync("coordinator");
        await h.StartAsync();
        var (_, hello) = await relay.Hellos.Reader.ReadAsync().AsTask().WaitAsync(FakeRelayServer.Wait);

        var secrets = new[] { Convert.ToBase64String(hello.Signature.Span), Convert.ToBase64String(hello.Ticket.Ticket.Span), Convert.ToBase64String(relay.UdpKey), Convert.ToHexString(relay.UdpKey) };
        Assert.NotEmpty(h.Log.Messages);
        Assert.DoesNotContain(h.Log.Messages, m => secrets.Any(s => m.Contains(s, StringComparison.OrdinalIgnoreCase)));
    }
}
