using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.WireGuard.Tests.Interop;

/// <summary>
/// The engine against the real wireguard-go over loopback UDP, in both roles: proves the wire format,
/// the Noise derivation, mac1 and transport encryption match the reference implementation.
/// </summary>
[Collection("wireguard-go")]
public class WireGuardGoInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private sealed class UdpOutput(Socket socket) : IEngineOutput
    {
        public void SendDatagram(PeerEndpoint destination, ReadOnlySpan<byte> datagram) =>
            socket.SendTo(datagram, SocketFlags.None, destination.ToIPEndPoint());
    }

    [Fact]
    public void Engine_AsInitiator_CompletesAHandshakeWithWireGuardGo_AndItAcceptsOurData()
    {
        Assert.True(WireGuardGoProcess.Unavailable() is null, WireGuardGoProcess.Unavailable());
        using var wg = WireGuardGoProcess.Start();
        using var socket = Bind();
        var ourKey = WgKey.GeneratePrivate();
        var engine = new WireGuardEngine(TimeProvider.System);
        engine.SetPrivateKey(ourKey);
        var peer = engine.AddPeer(wg.PublicKey);
        peer.Endpoint = PeerEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, wg.ListenPort));
        wg.SetPeer(ourKey.PublicFromPrivate(), LocalPort(socket), "10.213.0.1/32");
        var output = new UdpOutput(socket);

        var datagram = new byte[2048];
        var first = engine.ProcessOutbound(peer, Ipv4Packet(), datagram, output);
        Assert.Equal(OutboundAction.Queued, first.Action);

        var watch = Stopwatch.StartNew();
        while (!peer.HasCurrentKeypair && watch.Elapsed < Timeout)
        {
            ReceiveOnce(engine, socket, output);
            engine.Tick(output);
        }

        Assert.True(peer.HasCurrentKeypair, "no session with wireguard-go: " + Describe(engine));
        Assert.Equal(0, engine.Counters.TotalDrops);

        // wireguard-go (the responder) records the handshake only after decrypting our first transport packet.
        while (wg.LatestHandshake(ourKey.PublicFromPrivate()) == 0 && watch.Elapsed < Timeout)
        {
            Thread.Sleep(50);
        }

        Assert.NotEqual(0, wg.LatestHandshake(ourKey.PublicFromPrivate()));
        Assert.True(wg.ReceivedBytes(ourKey.PublicFromPrivate()) > 0);
    }

    [Fact]
    public void Engine_AsResponder_AcceptsWireGuardGosHandshake_AndDecryptsItsKeepalives()
    {
        Assert.True(WireGuardGoProcess.Unavailable() is null, WireGuardGoProcess.Unavailable());
        using var wg = WireGuardGoProcess.Start();
        using var socket = Bind();
        var ourKey = WgKey.GeneratePrivate();
        var engine = new WireGuardEngine(TimeProvider.System);
        engine.SetPrivateKey(ourKey);
        var peer = engine.AddPeer(wg.PublicKey);
        var output = new UdpOutput(socket);

        // Persistent keepalive makes wireguard-go initiate to us and then send keepalives every second.
        wg.SetPeer(ourKey.PublicFromPrivate(), LocalPort(socket), "10.213.0.1/32", persistentKeepalive: 1);

        var keepalives = 0;
        var watch = Stopwatch.StartNew();
        while (keepalives < 2 && watch.Elapsed < Timeout)
        {
            var (result, type) = ReceiveOnce(engine, socket, output);
            if (type == 4 && result is { Action: InboundAction.None, Reason: DropReason.None } && ReferenceEquals(result.Peer, peer))
            {
                keepalives++;
            }

            engine.Tick(output);
        }

        Assert.True(keepalives >= 2, "no keepalives decrypted from wireguard-go: " + Describe(engine));
        Assert.True(peer.HasCurrentKeypair);
        Assert.NotNull(peer.LastHandshake);
        Assert.Equal(IPAddress.Loopback, peer.Endpoint.ToIPEndPoint().Address);
        Assert.Equal(0, engine.Counters.TotalDrops);

        var datagram = new byte[2048];
        var sent = engine.ProcessOutbound(peer, Ipv4Packet(), datagram, output);
        Assert.Equal(OutboundAction.Send, sent.Action);
        var before = wg.ReceivedBytes(ourKey.PublicFromPrivate());
        socket.SendTo(datagram.AsSpan(0, sent.Length), SocketFlags.None, sent.Endpoint.ToIPEndPoint());
        while (wg.ReceivedBytes(ourKey.PublicFromPrivate()) == before && watch.Elapsed < Timeout)
        {
            Thread.Sleep(50);
        }

        Assert.True(wg.ReceivedBytes(ourKey.PublicFromPrivate()) > before, "wireguard-go did not count our data packet");
    }

    private static Socket Bind()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.ReceiveTimeout = 200;
        return socket;
    }

    private static int LocalPort(Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;

    private static (InboundResult Result, int Type) ReceiveOnce(WireGuardEngine engine, Socket socket, IEngineOutput output)
    {
        var buffer = new byte[2048];
        var plaintext = new byte[2048];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            var n = socket.ReceiveFrom(buffer, ref from);
            var result = engine.ProcessInbound(buffer.AsSpan(0, n), PeerEndpoint.FromIPEndPoint((IPEndPoint)from), plaintext, output);
            return (result, buffer[0]);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            return (default, 0);
        }
    }

    private static string Describe(WireGuardEngine engine) =>
        string.Join(", ", Enum.GetValues<DropReason>().Where(r => engine.Counters.Drops(r) > 0).Select(r => $"{r}={engine.Counters.Drops(r)}"));

    /// <summary>An ICMP echo request 10.213.0.1 -> 10.213.0.2 with a correct header checksum.</summary>
    private static byte[] Ipv4Packet()
    {
        var packet = new byte[28];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = 1;
        byte[] src = [10, 213, 0, 1];
        byte[] dst = [10, 213, 0, 2];
        src.CopyTo(packet, 12);
        dst.CopyTo(packet, 16);
        uint sum = 0;
        for (var i = 0; i < 20; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(i));
        }

        while (sum > 0xffff)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), (ushort)~sum);
        packet[20] = 8;
        return packet;
    }
}
