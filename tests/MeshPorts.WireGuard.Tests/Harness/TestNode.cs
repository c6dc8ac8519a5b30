using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.WireGuard.Tests.Harness;

/// <summary>One engine on the in-memory network; its output enqueues datagrams instead of sending them.</summary>
internal sealed class TestNode : IEngineOutput
{
    public TestNode(TestNetwork network, WireGuardEngine engine, WgKey privateKey, PeerEndpoint endpoint)
    {
        Network = network;
        Engine = engine;
        PrivateKey = privateKey;
        PublicKey = privateKey.PublicFromPrivate();
        Endpoint = endpoint;
        engine.SetPrivateKey(privateKey);
    }

    public TestNetwork Network { get; }

    public WireGuardEngine Engine { get; }

    public WgKey PrivateKey { get; }

    public WgKey PublicKey { get; }

    public PeerEndpoint Endpoint { get; set; }

    public List<byte[]> Tun { get; } = [];

    public List<InboundResult> Results { get; } = [];

    public void SendDatagram(PeerEndpoint destination, ReadOnlySpan<byte> datagram) =>
        Network.Enqueue(Endpoint, destination, datagram.ToArray());

    /// <summary>Sends an IP packet the way the device would; a Send result goes onto the network.</summary>
    public OutboundResult Send(Peer peer, ReadOnlySpan<byte> packet)
    {
        var buffer = new byte[packet.Length + WireGuardEngine.MessageOverhead + 15];
        var result = Engine.ProcessOutbound(peer, packet, buffer, this);
        if (result.Action == OutboundAction.Send)
        {
            Network.Enqueue(Endpoint, result.Endpoint, buffer[..result.Length]);
        }

        return result;
    }

    public InboundResult Receive(ReadOnlySpan<byte> datagram, PeerEndpoint source)
    {
        var plaintext = new byte[Math.Max(datagram.Length, 1)];
        var result = Engine.ProcessInbound(datagram, source, plaintext, this);
        Results.Add(result);
        if (result.Action == InboundAction.WriteToTun)
        {
            Tun.Add(plaintext[..result.Length]);
        }

        return result;
    }

    public void Tick() => Engine.Tick(this);
}
