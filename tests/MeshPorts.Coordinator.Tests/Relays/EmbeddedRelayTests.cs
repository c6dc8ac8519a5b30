using Grpc.Core;
using MeshPorts.Contracts.Cli;
using MeshPorts.Contracts.Relay;
using MeshPorts.Coordinator.Cli;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests.Relays;

public sealed class EmbeddedRelayTests
{
    [Fact]
    public async Task Ticket_ListsTheEmbeddedRelay_AtThePublicUrl_WithTheCoordinatorsPin_AndUdpAtThePublicHost()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        var relay = (await EmbeddedRelayClient.TicketAsync(c, a)).Relays[0];
        Assert.Equal("coordinator", relay.Id);
        Assert.Equal(c.Host.PublicUrl.GetLeftPart(UriPartial.Authority), relay.Url);
        Assert.Equal(c.Host.Pin, relay.Pin);
        Assert.Equal($"127.0.0.1:{c.Host.StunEndPoint.Port}", relay.UdpEndpoint);
    }

    [Fact]
    public async Task TwoNodesWithAGrant_ExchangeDatagramsThroughTheEmbeddedRelay_OverTlsAndOverUdp()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"));
        using var ra = new EmbeddedRelayClient(c, a);
        using var rb = new EmbeddedRelayClient(c, b);
        await ra.ConnectAsync();
        await rb.ConnectAsync();

        var payload = System.Security.Cryptography.RandomNumberGenerator.GetBytes(1400);
        await ra.SendTlsAsync(b.Id, payload);
        var overTls = await rb.ReceiveTlsAsync();
        Assert.Equal(a.Id, overTls.PeerNodeId);
        Assert.Equal(payload, overTls.Payload.ToByteArray());

        // B's keepalive makes its UDP socket its address at the relay; A's frame then reaches it by UDP.
        await rb.SendUdpAsync(RelayFrameKind.Keepalive, string.Empty, []);
        Assert.Equal(RelayFrameKind.KeepaliveAnswer, (await rb.ReceiveUdpAsync()).Kind);
        await ra.SendUdpAsync(RelayFrameKind.Datagram, b.Id, payload);
        var overUdp = await rb.ReceiveUdpAsync();
        Assert.Equal((RelayFrameKind.Datagram, a.Id), (overUdp.Kind, overUdp.Peer));
        Assert.Equal(payload, overUdp.Payload);

        Assert.Equal(1, await MetricsReader.ReadAsync(c, "meshports_relay_forwarded_datagrams_total{transport=\"tls\"}"));
        Assert.Equal(1, await MetricsReader.ReadAsync(c, "meshports_relay_forwarded_datagrams_total{transport=\"udp\"}"));
        Assert.Equal(1400, await MetricsReader.ReadAsync(c, "meshports_relay_forwarded_bytes_total{transport=\"udp\"}"));
        Assert.Equal(2, await MetricsReader.ReadAsync(c, "meshports_relay_sessions"));
    }

    [Fact]
    public async Task ANodeWithoutAGrantToTheOther_CannotReachItThroughTheRelay()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        using var stranger = await c.EnrollAsync("stranger");
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"));
        using var rb = new EmbeddedRelayClient(c, b);
        using var rs = new EmbeddedRelayClient(c, stranger);
        await rb.ConnectAsync();
        await rs.ConnectAsync();

        await rs.SendTlsAsync(b.Id, [1, 2, 3]);
        await rs.SendUdpAsync(RelayFrameKind.Datagram, b.Id, [1, 2, 3]);
        await WaitFor(async () => await MetricsReader.ReadAsync(c, "meshports_relay_dropped_total{reason=\"not_allowed\"}") == 2);

        // B hears nothing; what it does hear next is A, proving the stream was open all along.
        using var ra = new EmbeddedRelayClient(c, a);
        await ra.ConnectAsync();
        await ra.SendTlsAsync(b.Id, [9]);
        Assert.Equal(a.Id, (await rb.ReceiveTlsAsync()).PeerNodeId);
        Assert.Equal(1, await MetricsReader.ReadAsync(c, "meshports_relay_forwarded_datagrams_total{transport=\"tls\"}"));
    }

    [Fact]
    public async Task WithRelayOff_ConnectIsUnimplemented_TheTicketListsNoRelay_AndMetricsHaveNoRelayTraffic()
    {
        await using var c = await TestCoordinator.StartAsync(o => o.RelayEnabled = false);
        using var a = await c.EnrollAsync("a");
        var ticket = await EmbeddedRelayClient.TicketAsync(c, a);
        Assert.Empty(ticket.Relays);
        Assert.Null(c.Host.Relay);

        using var call = new Contracts.Relay.Relay.RelayClient(c.Channel).Connect();
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        var metrics = await MetricsText(c);
        Assert.DoesNotContain("meshports_relay_forwarded", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHelloWithATicketFromAnotherCoordinator_IsUnauthenticated()
    {
        await using var c = await TestCoordinator.StartAsync();
        await using var other = await TestCoordinator.StartAsync();
        using var a = await other.EnrollAsync("a");
        var foreign = await EmbeddedRelayClient.TicketAsync(other, a);

        using var call = new Contracts.Relay.Relay.RelayClient(c.Channel).Connect();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var nonce = call.ResponseStream.Current.Challenge.Nonce;
        var ts = c.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await call.RequestStream.WriteAsync(new ClientFrame
        {
            Hello = new Hello
            {
                Ticket = new SignedTicket { Ticket = foreign.Ticket, Signature = foreign.Signature },
                TimestampUnixMs = ts,
                Signature = Google.Protobuf.ByteString.CopyFrom(a.SignRelayHello(nonce.Span, ts, foreign.Ticket.Span)),
            },
        });
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Theory]
    [InlineData("on", true)]
    [InlineData("off", false)]
    public void RelayFlag_OnOrOff_IsParsed_AndDefaultsToOn(string value, bool enabled)
    {
        Assert.True(CommandLine.Parse([])!.RelayEnabled);
        Assert.Equal(enabled, CommandLine.Parse(["--relay", value])!.RelayEnabled);
        Assert.Equal(enabled, CommandLine.Parse([$"--relay={value}"])!.RelayEnabled);
        Assert.Contains("--relay on|off", CommandLine.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void RelayFlag_WithABadValue_NamesTheFix()
    {
        var ex = Assert.Throws<UsageException>(() => CommandLine.Parse(["--relay", "yes"]));
        Assert.Contains("expected on or off", ex.Message, StringComparison.Ordinal);
    }

    private static async Task<string> MetricsText(TestCoordinator c)
    {
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && Contracts.Transport.TlsMaterial.ComputePin(new System.Security.Cryptography.X509Certificates.X509Certificate2(cert)) == c.Host.Pin },
        };
        using var http = new HttpClient(handler) { BaseAddress = c.Host.PublicUrl };
        return await http.GetStringAsync("/metrics");
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
