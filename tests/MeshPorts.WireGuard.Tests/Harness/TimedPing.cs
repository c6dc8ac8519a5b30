using System.Buffers.Binary;

namespace MeshPorts.WireGuard.Tests.Harness;

/// <summary>
/// A ping in both directions on a 1 ms fake clock, so events can land between ticks as they do on real
/// devices: each side sends a numbered packet every 50 ms, A ticks at 0 mod 100 ms and B at
/// <paramref name="bTickPhase"/> mod 100 ms (two devices' timers are not in phase), and every arrival is
/// timed so a test can bound how long any packet waited, not only whether it arrived.
/// </summary>
internal sealed class TimedPing(TestNetwork net, TestNode a, TestNode b, Peer bOnA, Peer aOnB, int bTickPhase)
{
    private readonly List<(long At, Action Action)> _scheduled = [];
    private long _elapsed;
    private int _seenByA;
    private int _seenByB;

    /// <summary>Milliseconds since the stream started at which packet number i was sent (both directions).</summary>
    public List<long> SentAt { get; } = [];

    public Dictionary<int, long> ArrivedAtB { get; } = [];

    public Dictionary<int, long> ArrivedAtA { get; } = [];

    public List<OutboundResult> Refused { get; } = [];

    public long Elapsed => _elapsed;

    /// <summary>Runs <paramref name="action"/> when the stream's clock reaches <paramref name="atMilliseconds"/>.</summary>
    public void At(long atMilliseconds, Action action) => _scheduled.Add((atMilliseconds, action));

    /// <summary>Runs the clock; with <paramref name="send"/> false nothing new is sent, so what is in flight can land.</summary>
    public void Run(TimeSpan duration, bool send = true)
    {
        var end = _elapsed + (long)duration.TotalMilliseconds;
        while (_elapsed < end)
        {
            net.Time.Advance(TimeSpan.FromMilliseconds(1));
            _elapsed++;
            foreach (var (_, action) in _scheduled.Where(s => s.At == _elapsed).ToList())
            {
                action();
            }

            if (send && _elapsed % 50 == 0)
            {
                var number = SentAt.Count;
                SentAt.Add(_elapsed);
                Send(a, bOnA, number, 0xA);
                Send(b, aOnB, number, 0xB);
            }

            if (_elapsed % 100 == 0)
            {
                a.Tick();
            }

            if (_elapsed % 100 == bTickPhase)
            {
                b.Tick();
            }

            net.Pump();
            _seenByB = Record(b, 0xA, _seenByB, ArrivedAtB);
            _seenByA = Record(a, 0xB, _seenByA, ArrivedAtA);
        }
    }

    /// <summary>Packets sent in either direction that never arrived, as "A→B #n" / "B→A #n".</summary>
    public List<string> Lost() =>
    [
        .. Enumerable.Range(0, SentAt.Count).Where(i => !ArrivedAtB.ContainsKey(i)).Select(i => $"A→B #{i} sent at {SentAt[i]} ms"),
        .. Enumerable.Range(0, SentAt.Count).Where(i => !ArrivedAtA.ContainsKey(i)).Select(i => $"B→A #{i} sent at {SentAt[i]} ms"),
    ];

    /// <summary>The longest time any packet took from being handed to the engine to reaching the other TUN.</summary>
    public long MaxDelay() =>
        ArrivedAtB.Concat(ArrivedAtA).Select(p => p.Value - SentAt[p.Key]).DefaultIfEmpty(0).Max();

    private int Record(TestNode node, byte marker, int seen, Dictionary<int, long> arrived)
    {
        for (var i = seen; i < node.Tun.Count; i++)
        {
            var p = node.Tun[i];
            if (p.Length >= 8 && p[0] == marker)
            {
                arrived.TryAdd(BinaryPrimitives.ReadInt32BigEndian(p.AsSpan(4)), _elapsed);
            }
        }

        return node.Tun.Count;
    }

    private void Send(TestNode node, Peer peer, int number, byte marker)
    {
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
