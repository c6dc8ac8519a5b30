using MeshPorts.WireGuard;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Fuzz.Targets;

/// <summary>
/// The engine's receive path (initiation, response, cookie reply, transport data) as any host on the
/// internet can reach it: UDP datagrams to the node's WireGuard port. Input: byte 0's low bit puts the
/// responder under load (cookie replies), bit 1 makes it initiate first (so a response or cookie reply
/// finds a handshake); the rest is datagrams (<see cref="Frames"/>). The keys are fixed, so a recorded
/// initiation from the known peer is valid in every run and the fuzzer starts past MAC1.
/// </summary>
internal static class WireGuardMessages
{
    private static readonly WgKey ResponderKey = Key(0x11);
    private static readonly WgKey InitiatorKey = Key(0x22);
    private static readonly PeerEndpoint Source = PeerEndpoint.FromIPEndPoint(System.Net.IPEndPoint.Parse("198.51.100.7:51820"));

    public static FuzzTarget Target { get; } = new(
        "wireguard",
        "any host: UDP to the WireGuard port (node/MeshPorts.WireGuard WireGuardEngine.ProcessInbound)",
        Run,
        Seeds);

    private static void Run(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        var responder = new WireGuardEngine(new FixedTime(), new Random(1));
        responder.SetPrivateKey(ResponderKey);
        var peer = responder.AddPeer(InitiatorKey.PublicFromPrivate());
        responder.UnderLoad = (data[0] & 1) != 0;
        var output = new Sink();
        var plaintext = new byte[65536];
        if ((data[0] & 2) != 0)
        {
            peer.Endpoint = Source;
            responder.ProcessOutbound(peer, new byte[40], new byte[40 + WireGuardEngine.MessageOverhead + 16], output);
        }

        foreach (var datagram in Frames.Split(data[1..], 8))
        {
            responder.ProcessInbound(datagram, Source, plaintext, output);
        }

        responder.Tick(output);
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        // A real initiation from the known peer, a response to it, and a transport packet after it.
        var time = new FixedTime();
        var initiator = new WireGuardEngine(time, new Random(2));
        initiator.SetPrivateKey(InitiatorKey);
        var toResponder = initiator.AddPeer(ResponderKey.PublicFromPrivate());
        toResponder.Endpoint = Source;
        var initiatorOut = new Sink();
        initiator.ProcessOutbound(toResponder, new byte[40], new byte[40 + WireGuardEngine.MessageOverhead + 16], initiatorOut);
        var initiation = initiatorOut.Sent.First(d => d[0] == 1);

        var responder = new WireGuardEngine(time, new Random(3));
        responder.SetPrivateKey(ResponderKey);
        var toInitiator = responder.AddPeer(InitiatorKey.PublicFromPrivate());
        var responderOut = new Sink();
        var plaintext = new byte[65536];
        responder.ProcessInbound(initiation, Source, plaintext, responderOut);
        var response = responderOut.Sent.First(d => d[0] == 2);
        initiator.ProcessInbound(response, Source, plaintext, initiatorOut);
        var transport = new byte[64 + WireGuardEngine.MessageOverhead + 16];
        var sent = initiator.ProcessOutbound(toResponder, new byte[64], transport, initiatorOut);
        var data = sent.Action == OutboundAction.Send ? transport[..sent.Length] : initiatorOut.Sent.Last();

        responder.UnderLoad = true;
        var loadedOut = new Sink();
        responder.ProcessInbound(initiation, Source, plaintext, loadedOut);
        var cookie = loadedOut.Sent.FirstOrDefault(d => d[0] == 3) ?? [3, 0, 0, 0];
        _ = toInitiator;

        yield return ("initiation", [0, .. Frames.Join(initiation)]);
        yield return ("initiation-under-load", [1, .. Frames.Join(initiation)]);
        yield return ("initiation-then-data", [0, .. Frames.Join(initiation, data)]);
        yield return ("response-after-initiating", [2, .. Frames.Join(response)]);
        yield return ("cookie-after-initiating", [3, .. Frames.Join(cookie)]);
        yield return ("transport", [0, .. Frames.Join(data)]);
        yield return ("short-types", [0, .. Frames.Join([1], [2, 0, 0, 0], [3], [4, 0, 0, 0, 1, 2, 3, 4])]);
    }

    private static WgKey Key(byte fill)
    {
        var bytes = new byte[WgKey.Size];
        Array.Fill(bytes, fill);
        bytes[0] &= 248;
        bytes[31] = (byte)((bytes[31] & 127) | 64);
        return WgKey.FromBytes(bytes);
    }

    private sealed class Sink : IEngineOutput
    {
        public List<byte[]> Sent { get; } = [];

        public void SendDatagram(PeerEndpoint destination, ReadOnlySpan<byte> datagram) => Sent.Add(datagram.ToArray());
    }
}
