using System.Net;
using System.Net.Sockets;
using System.Text;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Node.Expose;
using Microsoft.Extensions.Time.Testing;

namespace MeshPorts.Node.Tests.Expose;

/// <summary>
/// The proxy against the real kernel: a TUN device (mpex*) plays the overlay interface and the test
/// plays a peer behind the tunnel by writing packets into it. Needs root; CI runs it as root.
/// </summary>
public sealed class OverlayPortProxyTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    // A ULA that is never configured: binding it proves FREEBIND lets the proxy start before the address exists.
    private static readonly IPAddress UnconfiguredIpv6 = IPAddress.Parse("fd6d:7065:7800::1");

    [Fact]
    public async Task Tcp_ExposedPort_AnswersASynWrittenIntoTheTun_ButRefusesTheSameSynArrivingOnAnotherInterface()
    {
        using var tun = OverlayTun.Create();
        using var underlay = OverlayTun.Create();
        using var echo = new LoopbackTcpEcho();
        await using var proxy = new OverlayPortProxy(tun.Name, [tun.NodeAddress, UnconfiguredIpv6], [new ExposeSpec(echo.Port, PortProtocol.Tcp)]);
        proxy.Start();
        tun.AddNodeAddress();
        underlay.AddNodeAddress();

        // Control: an ordinary listener on the overlay address does answer from the underlay (Linux
        // accepts any local address on any interface), so the refusal below is the device binding's doing.
        using var control = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        control.Bind(new IPEndPoint(tun.NodeAddress, 0));
        control.Listen();
        var controlAnswer = await new TunTcpPeer(underlay, (ushort)((IPEndPoint)control.LocalEndPoint!).Port, tun.NodeAddress).SendSynAsync();
        Assert.True(controlAnswer.Has(OverlayPackets.Syn), "The underlay TUN cannot reach the overlay address at all, so this test would prove nothing.");

        var fromUnderlay = await new TunTcpPeer(underlay, echo.Port, tun.NodeAddress).SendSynAsync();
        var fromOverlay = await new TunTcpPeer(tun, echo.Port).SendSynAsync();

        Assert.True(fromUnderlay.Has(OverlayPackets.Rst) && !fromUnderlay.Has(OverlayPackets.Syn), $"A SYN from the underlay got flags 0x{fromUnderlay.Flags:x2}, not a refusal.");
        Assert.True(fromOverlay.Has(OverlayPackets.Syn) && fromOverlay.Has(OverlayPackets.Ack), $"Expected a SYN-ACK through the TUN, got flags 0x{fromOverlay.Flags:x2}.");
        Assert.Equal(0, echo.Accepted);
    }

    [Fact]
    public async Task Tcp_FromAProcessOnThisHost_IsResetAndNeverReachesTheService()
    {
        using var tun = OverlayTun.Create();
        tun.AddNodeAddress();
        using var echo = new LoopbackTcpEcho();
        await using var proxy = new OverlayPortProxy(tun.Name, [tun.NodeAddress], [new ExposeSpec(echo.Port, PortProtocol.Tcp)]);
        proxy.Start();
        using var host = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        // The kernel completes the handshake (it counts host-local traffic as arriving on the TUN); the proxy then resets it.
        // The reset may even land before ConnectAsync returns.
        var ended = await Record.ExceptionAsync(async () =>
        {
            await host.ConnectAsync(new IPEndPoint(tun.NodeAddress, echo.Port)).WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(0, await host.ReceiveAsync(new byte[16]).WaitAsync(Second));
        });

        Assert.True(ended is null || ended is SocketException { SocketErrorCode: SocketError.ConnectionReset }, $"The host connection did not end: {ended}");
        Assert.Equal(0, echo.Accepted);
        await WaitUntilAsync(() => proxy.GetStatus()[0].Failures == 1, Second, "the refusal to be counted");
        Assert.Equal(0, proxy.GetStatus()[0].Connections);
    }

    [Fact]
    public async Task Tcp_ThroughTheTun_EchoesAndCounts_AndAPeerResetClosesTheServiceSideWithinOneSecond()
    {
        using var tun = OverlayTun.Create();
        tun.AddNodeAddress();
        using var echo = new LoopbackTcpEcho();
        await using var proxy = new OverlayPortProxy(tun.Name, [tun.NodeAddress], [new ExposeSpec(echo.Port, PortProtocol.Tcp, "echo")]);
        proxy.Start();
        var peer = new TunTcpPeer(tun, echo.Port);

        await peer.ConnectAsync();
        peer.Send(Encoding.ASCII.GetBytes("hello"));
        var reply = await peer.ReceiveAsync(5);

        Assert.Equal("hello", Encoding.ASCII.GetString(reply));
        // Bytes are counted once the send completes, which can be just after the peer has them.
        await WaitUntilAsync(() => proxy.GetStatus()[0].BytesFromService == 5, Second, "the echoed bytes to be counted");
        var status = Assert.Single(proxy.GetStatus());
        Assert.Equal((echo.Port, "tcp", "echo", true), (status.Port, status.Protocol, status.Service, status.Listening));
        Assert.Equal((1L, 1L, 5L, 5L, 0L), (status.Connections, status.Active, status.BytesToService, status.BytesFromService, status.Failures));

        // The node's packet filter cuts flows by injecting RSTs like this one; the service must see the end too.
        peer.SendReset();

        Assert.Equal("reset", await echo.NextEndAsync(Second));
        await WaitUntilAsync(() => proxy.GetStatus()[0].Active == 0, Second, "the relay to be gone");
    }

    [Fact]
    public async Task Tcp_OverIpv6_StartedBeforeTheAddressExists_EchoesThroughTheTun()
    {
        using var tun = OverlayTun.Create();
        using var echo = new LoopbackTcpEcho();
        await using var proxy = new OverlayPortProxy(tun.Name, [tun.NodeAddress, tun.NodeAddress6], [new ExposeSpec(echo.Port, PortProtocol.Tcp)]);
        proxy.Start();
        tun.AddNodeAddress6();
        var peer = new TunTcpPeer(tun, echo.Port, tun.NodeAddress6);

        await peer.ConnectAsync();
        peer.Send(Encoding.ASCII.GetBytes("hello6"));

        Assert.Equal("hello6", Encoding.ASCII.GetString(await peer.ReceiveAsync(6)));
        Assert.Equal(1, echo.Accepted);
    }

    [Fact]
    public async Task Tcp_PeerFin_IsPassedOnAsHalfClose_AndTheServiceCloseComesBackAsFin()
    {
        using var tun = OverlayTun.Create();
        tun.AddNodeAddress();
        using var echo = new LoopbackTcpEcho();
        await using var proxy = new OverlayPortProxy(tun.Name, [tun.NodeAddress], [new ExposeSpec(echo.Port, PortProtocol.Tcp)]);
        proxy.Start();
        var peer = new TunTcpPeer(tun, echo.Port);
        await peer.ConnectAsync();
        peer.Send(Encoding.ASCII.GetBytes("bye"));
        Assert.Equal("bye", Encoding.ASCII.GetString(await peer.ReceiveAsync(3)));

        peer.SendFin();

        Assert.Equal("fin", await echo.NextEndAsync(Second));
        var fin = await peer.ExpectAsync(OverlayPackets.Fin, Second);
        Assert.False(fin.Has(OverlayPackets.Rst));
    }

    [Fact]
    public async Task Tcp_ResetAfterThePeersFin_StillResetsTheServiceSideWithinOneSecond()
    {
        using var tun = OverlayTun.Create();
        tun.AddNodeAddress();
        using var echo = new LoopbackTcpEcho(closeOnFin: false);
        await using var proxy = new OverlayPortProxy(tun.Name, [tun.NodeAddress], [new ExposeSpec(echo.Port, PortProtocol.Tcp)]);
        proxy.Start();
        var peer = new TunTcpPeer(tun, echo.Port);
        await peer.ConnectAsync();
        peer.Send([1]);
        await peer.ReceiveAsync(1);
        peer.SendFin();
        Assert.Equal("fin", await echo.NextEndAsync(Second));
        var service = echo.LastConnection!;
        Assert.NotEqual(TcpClose, TcpState(service));

        peer.SendReset();

        await WaitUntilAsync(() => TcpState(service) == TcpClose, Second, "the service's half-closed connection to be reset");
        await WaitUntilAsync(() => proxy.GetStatus()[0].Active == 0, Second, "the relay to be gone");
        service.Dispose();
    }

    [Fact]
    public async Task Tcp_WhenTheLocalServiceIsDown_TheOverlayConnectionIsResetPromptly()
    {
        using var tun = OverlayTun.Create();
        tun.AddNodeAddress();
        var port = FreeLoopbackPort();
        await using var proxy = new OverlayPortProxy(tun.Name, [tun.NodeAddress], [new ExposeSpec(port, PortProtocol.Tcp)]);
        proxy.Start();
        var peer = new TunTcpPeer(tun, port);

        await peer.ConnectAsync();

        await peer.ExpectAsync(OverlayPackets.Rst, Second);
        await WaitUntilAsync(() => proxy.GetStatus()[0].Failures == 1, Second, "the failure to be counted");
    }

    [Fact]
    public async Task StopAsync_ResetsRelayedConnections_AndClosesTheListener()
    {
        using var tun = OverlayTun.Create();
        tun.AddNodeAddress();
        using var echo = new LoopbackTcpEcho();
        var proxy = new OverlayPortProxy(tun.Name, [tun.NodeAddress], [new ExposeSpec(echo.Port, PortProtocol.Tcp)]);
        proxy.Start();
        var peer = new TunTcpPeer(tun, echo.Port);
        await peer.ConnectAsync();
        peer.Send([1, 2, 3]);
        await peer.ReceiveAsync(3);

        await proxy.StopAsync().WaitAsync(TimeSpan.FromSeconds(5));

        await peer.ExpectAsync(OverlayPackets.Rst, Second);
        Assert.Equal("reset", await echo.NextEndAsync(Second));
        Assert.False(proxy.GetStatus()[0].Listening);
        var again = await new TunTcpPeer(tun, echo.Port).SendSynAsync();
        Assert.True(again.Has(OverlayPackets.Rst), "A SYN after StopAsync should be refused.");
        await proxy.DisposeAsync();
    }

    [Fact]
    public async Task Udp_DatagramWrittenIntoTheTun_ReachesTheLoopbackService_AndTheReplyComesBackOut()
    {
        using var tun = OverlayTun.Create();
        tun.AddNodeAddress();
        using var echo = new LoopbackUdpEcho();
        await using var proxy = new OverlayPortProxy(tun.Name, [tun.NodeAddress, UnconfiguredIpv6], [new ExposeSpec(echo.Port, PortProtocol.Udp)]);
        proxy.Start();

        for (var i = 0; i < 3; i++)
        {
            var payload = Encoding.ASCII.GetBytes($"ping {i}");
            tun.Write(OverlayPackets.Udp(tun.PeerAddress, 40000, tun.NodeAddress, echo.Port, payload));

            var reply = await tun.ExpectAsync(
                17,
                s => s.Source.Equals(tun.NodeAddress) && s.SourcePort == echo.Port && s.Destination.Equals(tun.PeerAddress) && s.DestinationPort == 40000,
                TimeSpan.FromSeconds(5),
                "UDP reply");
            Assert.Equal(payload, reply.Payload);
        }

        Assert.Equal(1, echo.Clients);
        await WaitUntilAsync(() => proxy.GetStatus()[0].BytesFromService == 18, Second, "the replies to be counted");
        var status = Assert.Single(proxy.GetStatus());
        Assert.Equal((1L, 1L, 18L, 18L), (status.Connections, status.Active, status.BytesToService, status.BytesFromService));
    }

    [Fact]
    public async Task Udp_FromAProcessOnThisHost_NeverReachesTheService()
    {
        using var tun = OverlayTun.Create();
        tun.AddNodeAddress();
        using var echo = new LoopbackUdpEcho();
        await using var proxy = new OverlayPortProxy(tun.Name, [tun.NodeAddress], [new ExposeSpec(echo.Port, PortProtocol.Udp)]);
        proxy.Start();
        using var host = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        await host.SendToAsync(new byte[] { 1 }, new IPEndPoint(tun.NodeAddress, echo.Port));
        await Task.Delay(300);

        Assert.Equal(0, echo.Clients);
        Assert.Equal(0, proxy.GetStatus()[0].Connections);
    }

    [Fact]
    public async Task Udp_IdleSession_IsClosed_AndTheSessionLimitDropsNewSources()
    {
        using var tun = OverlayTun.Create();
        tun.AddNodeAddress();
        using var echo = new LoopbackUdpEcho();
        var time = new FakeTimeProvider();
        var options = new ExposeOptions { MaxUdpSessionsPerPort = 1, UdpSessionIdle = TimeSpan.FromSeconds(30) };
        await using var proxy = new OverlayPortProxy(tun.Name, [tun.NodeAddress], [new ExposeSpec(echo.Port, PortProtocol.Udp)], options, timeProvider: time);
        proxy.Start();

        await UdpRoundTripAsync(tun, echo.Port, 40001);
        tun.Write(OverlayPackets.Udp(tun.PeerAddress, 40002, tun.NodeAddress, echo.Port, [9]));
        await WaitUntilAsync(() => proxy.GetStatus()[0].Failures == 1, Second, "the second source to be refused");
        Assert.Equal(1, echo.Clients);

        time.Advance(TimeSpan.FromSeconds(31));
        await WaitUntilAsync(() => proxy.GetStatus()[0].Active == 0, Second, "the idle session to close");
        await UdpRoundTripAsync(tun, echo.Port, 40002);

        Assert.Equal(2, echo.Clients);
        Assert.Equal(2, proxy.GetStatus()[0].Connections);
    }

    [Fact]
    public async Task Tcp_OverTheConnectionLimit_IsReset()
    {
        using var tun = OverlayTun.Create();
        tun.AddNodeAddress();
        using var echo = new LoopbackTcpEcho();
        await using var proxy = new OverlayPortProxy(tun.Name, [tun.NodeAddress], [new ExposeSpec(echo.Port, PortProtocol.Tcp)], new ExposeOptions { MaxConnectionsPerPort = 1 });
        proxy.Start();
        var first = new TunTcpPeer(tun, echo.Port);
        await first.ConnectAsync();
        first.Send([7]);
        await first.ReceiveAsync(1);

        var second = new TunTcpPeer(tun, echo.Port);
        await second.ConnectAsync();

        await second.ExpectAsync(OverlayPackets.Rst, Second);
        Assert.Equal(1, echo.Accepted);
        Assert.Equal(1, proxy.GetStatus()[0].Failures);
    }

    [Fact]
    public async Task Start_WhenTheServiceListensOnAllAddresses_FailsNamingTheFix()
    {
        using var tun = OverlayTun.Create();
        using var wildcard = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        wildcard.Bind(new IPEndPoint(IPAddress.Any, 0));
        wildcard.Listen();
        var port = (ushort)((IPEndPoint)wildcard.LocalEndPoint!).Port;
        await using var proxy = new OverlayPortProxy(tun.Name, [tun.NodeAddress], [new ExposeSpec(port, PortProtocol.Tcp)]);

        var error = Assert.Throws<InvalidOperationException>(proxy.Start);

        Assert.Contains("bind the service to 127.0.0.1", error.Message, StringComparison.Ordinal);
        Assert.False(proxy.GetStatus()[0].Listening);

        // Once the service stops listening everywhere, the same proxy starts.
        wildcard.Dispose();
        proxy.Start();
        Assert.True(proxy.GetStatus()[0].Listening);
    }

    private static async Task UdpRoundTripAsync(OverlayTun tun, ushort port, ushort sourcePort)
    {
        var payload = Encoding.ASCII.GetBytes($"from {sourcePort}");
        tun.Write(OverlayPackets.Udp(tun.PeerAddress, sourcePort, tun.NodeAddress, port, payload));
        var reply = await tun.ExpectAsync(17, s => s.SourcePort == port && s.DestinationPort == sourcePort, TimeSpan.FromSeconds(5), $"UDP reply to port {sourcePort}");
        Assert.Equal(payload, reply.Payload);
    }

    // include/net/tcp_states.h; tcpi_state is the first byte of TCP_INFO (linux/tcp.h).
    private const byte TcpClose = 7;

    private static byte TcpState(Socket socket)
    {
        var info = new byte[1];
        socket.GetRawSocketOption(6, 11, info);
        return info[0];
    }

    private static ushort FreeLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (ushort)((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(20);
        }
    }
}
