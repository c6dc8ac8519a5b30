using System.Buffers.Binary;

namespace MeshPorts.WireGuard.Tests.Harness;

/// <summary>
/// A ping in both directions between two nodes: every 50 ms of fake time each side sends one numbered
/// packet, and both engines tick every 100 ms as the device would. Lets a test say "nothing was lost"
/// by comparing the numbers that arrived with the numbers that were sent.
/// </summary>
internal sealed class PingStream(TestNetwork net, TestNode a, TestNode b, Peer bOnA, Peer aOnB)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);
    private readonly DateTimeOffset _start = net.Time.GetUtcNow();
    private int _step;

    /// <summary>Fake time since the stream started at which packet number i was sent (both directions).</summary>
    public List<TimeSpan> SentAt { get; } = [];

    /// <summary>Outbound results that were neither sent nor staged.</summary>
    public List<OutboundResult> Refused { get; } = [];

    public int Sent => SentAt.Count;

    public void Run(TimeSpan duration)
    {
        for (var elapsed = TimeSpan.Zero; elapsed < duration; elapsed += Interval)
        {
            net.Time.Advance(Interval);
            var number = SentAt.Count;
            SentAt.Add(net.Time.GetUtcNow() - _start);
            Send(a, bOnA, number, 0xA);
            Send(b, aOnB, number, 0xB);
            if (++_step % 2 == 0)
            {
                a.Tick();
                b.Tick();
            }

            net.Pump();
        }
    }

    /// <summary>The packet numbers <paramref name="node"/> received from the stream, sorted.</summary>
    public static List<int> Received(TestNode node, int from) =>
        [.. node.Tun.Where(p => p.Length >= 8 && p[0] == from).Select(p => BinaryPrimitives.ReadInt32BigEndian(p.AsSpan(4))).Order()];

    public List<int> ReceivedByB() => Received(b, 0xA);

    public List<int> ReceivedByA() => Received(a, 0xB);

    private void Send(TestNode node, Peer peer, int number, byte marker)
    {
        // A fake IP packet: a direction marker and the sequence number, padded to a ping's size.
        var packet = new byte[64];
        packet[0] = marker;
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(4), number);
        var result = node.Send(peer, packet);
        if (result.Action is not (OutboundAction.Send or OutboundAction.Queued))
        {
            Refused.Add(result);
        }
    }
}
