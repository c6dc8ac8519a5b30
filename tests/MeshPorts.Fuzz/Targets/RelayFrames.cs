using Google.Protobuf;
using MeshPorts.Contracts.Relay;
using MeshPorts.Node.Relay;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Fuzz.Targets;

/// <summary>
/// UDP relay frames (what any host can send a relay's UDP port or a node's relay session) and the relay's
/// Welcome (what a relay tells the node). Input: byte 0's low bit picks a Welcome message (protobuf);
/// otherwise the rest is one frame, read, tag-checked under a fixed key in both directions and sliced
/// the way the relay core and the node's relay session slice it.
/// </summary>
internal static class RelayFrames
{
    private static readonly byte[] KeyBytes = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private static readonly NSec.Cryptography.Key Key = RelayUdpFrame.ImportKey(KeyBytes);
    private static readonly PeerEndpoint Relay = PeerEndpoint.FromIPEndPoint(System.Net.IPEndPoint.Parse("192.0.2.50:3478"));

    public static FuzzTarget Target { get; } = new(
        "relay-frame",
        "any host: UDP relay frames to a relay or a node; a relay: its Welcome (MeshPorts.Contracts RelayUdpFrame, node Relay)",
        Run,
        Seeds);

    private static void Run(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        var body = data[1..];
        if ((data[0] & 1) != 0)
        {
            Welcome welcome;
            try
            {
                welcome = Welcome.Parser.ParseFrom(body);
            }
            catch (InvalidProtocolBufferException)
            {
                return; // gRPC fails the stream; the session reconnects.
            }

            RelayUdpSession.TryParseWelcome(welcome, Relay, out _);
            return;
        }

        RelayUdpFrame.IsRelayFrame(body);
        if (!RelayUdpFrame.TryReadHeader(body, out var header))
        {
            return;
        }

        RelayUdpFrame.VerifyTag(body, Key, RelayDirection.ToRelay);
        RelayUdpFrame.VerifyTag(body, Key, RelayDirection.FromRelay);
        System.Text.Encoding.ASCII.GetString(body.Slice(header.PeerIdOffset, header.PeerIdLength));
        _ = body.Slice(header.PayloadOffset, header.PayloadLength).Length;
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        var frame = new byte[RelayUdpFrame.MaxOverhead + 200];
        var n = RelayUdpFrame.Write(frame, 42, 1, RelayFrameKind.Datagram, "node-7"u8, [1, 0, 0, 0, 9, 9], Key, RelayDirection.ToRelay);
        yield return ("datagram", [0, .. frame[..n]]);
        n = RelayUdpFrame.Write(frame, 42, 2, RelayFrameKind.Keepalive, [], [], Key, RelayDirection.ToRelay);
        yield return ("keepalive", [0, .. frame[..n]]);
        n = RelayUdpFrame.Write(frame, 42, 3, RelayFrameKind.KeepaliveAnswer, [], [], Key, RelayDirection.FromRelay);
        yield return ("keepalive-answer", [0, .. frame[..n]]);
        var welcome = new Welcome { UdpSessionId = ByteString.CopyFrom([0, 0, 0, 0, 0, 0, 0, 42]), UdpKey = ByteString.CopyFrom(KeyBytes), TicketNotAfterUnixMs = 1_800_000_000_000 };
        yield return ("welcome", [1, .. welcome.ToByteArray()]);
        yield return ("welcome-short-key", [1, .. new Welcome { UdpSessionId = ByteString.CopyFrom([1, 2]), UdpKey = ByteString.CopyFrom([3]) }.ToByteArray()]);
    }
}
