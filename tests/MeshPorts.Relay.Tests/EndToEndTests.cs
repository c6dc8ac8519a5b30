using Google.Protobuf;
using Grpc.Core;
using MeshPorts.Contracts.Relay;
using MeshPorts.Relay.Tests.Support;

namespace MeshPorts.Relay.Tests;

/// <summary>The relay over real gRPC on loopback TLS: what a node's relay client sees.</summary>
public sealed class EndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static async Task<(AsyncDuplexStreamingCall<ClientFrame, ServerFrame> Call, Welcome Welcome)> ConnectAsync(
        TlsRelayHost host, TestRelay relay, TestRelayNode node, string[] peers, Func<byte[], Hello>? hello = null)
    {
        var call = host.Client().Connect();
        using var cts = new CancellationTokenSource(Wait);
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        var challenge = call.ResponseStream.Current.Challenge;
        Assert.Equal("test-relay", challenge.RelayId);
        var nonce = challenge.Nonce.ToByteArray();
        await call.RequestStream.WriteAsync(new ClientFrame { Hello = hello?.Invoke(nonce) ?? node.Hello(nonce, relay.Ticket(node, peers)) });
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        return (call, call.ResponseStream.Current.Welcome);
    }

    [Fact]
    public async Task TwoNodes_OverTls_ExchangeDatagramsByteExact_BothWays()
    {
        using var relay = new TestRelay();
        await using var host = await TlsRelayHost.StartAsync(relay.Core);
        var a = relay.Node("n_aaaaaaaaaaaaaaaa");
        var b = relay.Node("n_bbbbbbbbbbbbbbbb");
        var (callA, welcomeA) = await ConnectAsync(host, relay, a, [b.Id]);
        var (callB, _) = await ConnectAsync(host, relay, b, [a.Id]);
        using (callA)
        using (callB)
        {
            Assert.Equal(8, welcomeA.UdpSessionId.Length);
            var payload = System.Security.Cryptography.RandomNumberGenerator.GetBytes(RelayLimits.MaxPayload);
            await callA.RequestStream.WriteAsync(new ClientFrame { Send = new Datagram { PeerNodeId = b.Id, Payload = ByteString.CopyFrom(payload) } });
            using var cts = new CancellationTokenSource(Wait);
            Assert.True(await callB.ResponseStream.MoveNext(cts.Token));
            Assert.Equal(a.Id, callB.ResponseStream.Current.Received.PeerNodeId);
            Assert.Equal(payload, callB.ResponseStream.Current.Received.Payload.ToByteArray());

            await callB.RequestStream.WriteAsync(new ClientFrame { Send = new Datagram { PeerNodeId = a.Id, Payload = ByteString.CopyFrom([1, 2, 3]) } });
            Assert.True(await callA.ResponseStream.MoveNext(cts.Token));
            Assert.Equal([1, 2, 3], callA.ResponseStream.Current.Received.Payload.ToByteArray());
            Assert.Equal(2, relay.Core.Counters.ForwardedDatagrams(RelayTransport.Tls));
        }
    }

    [Fact]
    public async Task AForgedHello_EndsTheCall_Unauthenticated_AndAnExpiredTicket_FailedPrecondition()
    {
        using var relay = new TestRelay();
        await using var host = await TlsRelayHost.StartAsync(relay.Core);
        var a = relay.Node("n_aaaaaaaaaaaaaaaa");
        var thief = relay.Node("n_thief");
        var forged = await Assert.ThrowsAsync<RpcException>(() => ConnectAsync(host, relay, a, [], n => a.Hello(n, relay.Ticket(a, []), signer: thief.MachineKey)));
        Assert.Equal(StatusCode.Unauthenticated, forged.StatusCode);

        var old = relay.Ticket(a, [], issuedMs: relay.NowMs - (long)TimeSpan.FromMinutes(11).TotalMilliseconds);
        var expired = await Assert.ThrowsAsync<RpcException>(() => ConnectAsync(host, relay, a, [], n => a.Hello(n, old)));
        Assert.Equal(StatusCode.FailedPrecondition, expired.StatusCode);
        Assert.Equal(0, relay.Core.Counters.SessionsOpened);
    }

    [Fact]
    public async Task ASecondConnection_OfTheSameNode_EndsTheFirstCall_Aborted()
    {
        using var relay = new TestRelay();
        await using var host = await TlsRelayHost.StartAsync(relay.Core);
        var a = relay.Node("n_aaaaaaaaaaaaaaaa");
        var (first, _) = await ConnectAsync(host, relay, a, []);
        var (second, _) = await ConnectAsync(host, relay, a, []);
        using (first)
        using (second)
        {
            using var cts = new CancellationTokenSource(Wait);
            var ended = await Assert.ThrowsAsync<RpcException>(() => first.ResponseStream.MoveNext(cts.Token));
            Assert.Equal(StatusCode.Aborted, ended.StatusCode);
            Assert.Equal(1, relay.Core.Counters.SessionsActive);
        }
    }

    [Fact]
    public async Task AStaleTicketSentInStream_EndsTheCall()
    {
        using var relay = new TestRelay();
        await using var host = await TlsRelayHost.StartAsync(relay.Core);
        var a = relay.Node("n_aaaaaaaaaaaaaaaa");
        var b = relay.Node("n_bbbbbbbbbbbbbbbb");
        var (call, _) = await ConnectAsync(host, relay, a, []);
        using (call)
        {
            await call.RequestStream.WriteAsync(new ClientFrame { Ticket = relay.Ticket(b, ["n_victim"]) });
            using var cts = new CancellationTokenSource(Wait);
            var ended = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(cts.Token));
            Assert.Equal(StatusCode.Unauthenticated, ended.StatusCode);
        }
    }

    [Fact]
    public async Task WhenTheTicketExpires_TheCallEnds_FailedPrecondition_AndTheSessionIsGone()
    {
        using var relay = new TestRelay();
        await using var host = await TlsRelayHost.StartAsync(relay.Core);
        var a = relay.Node("n_aaaaaaaaaaaaaaaa");
        var (call, _) = await ConnectAsync(host, relay, a, []);
        using (call)
        {
            relay.Time.Advance(TimeSpan.FromMinutes(10));
            using var cts = new CancellationTokenSource(Wait);
            var ended = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(cts.Token));
            Assert.Equal(StatusCode.FailedPrecondition, ended.StatusCode);
            Assert.Equal(0, relay.Core.Counters.SessionsActive);
        }
    }
}
