using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Tests.Harness;

namespace MeshPorts.WireGuard.Tests.Engine;

/// <summary>
/// Both nodes rotate at once (<c>meshctl keys rotate --all</c>): each learns the other's new key, then
/// both switch their own key a few milliseconds apart. The old sessions must carry every packet until
/// the new ones take over, so nothing is lost and nothing waits for a handshake.
/// </summary>
public class SimultaneousRotationTests
{
    /// <summary>
    /// Skew between the two RotatePrivateKey calls, which node goes first, and a network. The seeds
    /// with 20 ms or more of latency make the two rotation handshakes cross (each side answers the
    /// other's initiation while its own is in flight), which is where packets used to be lost.
    /// </summary>
    public static TheoryData<int, bool, int, int> Cases()
    {
        var data = new TheoryData<int, bool, int, int>();
        foreach (var skew in new[] { 0, 10, 43, 200 })
        {
            foreach (var aFirst in new[] { true, false })
            {
                foreach (var (seed, latency) in new[] { (1, 1), (3, 20), (8, 20), (11, 20), (2, 50), (4, 150) })
                {
                    data.Add(skew, aFirst, seed, latency);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BothRotate_WithSkew_LoseNothing_AndNoPacketWaitsLongerThanARoundTripAndATick(int skewMs, bool aFirst, int seed, int latencyMs)
    {
        var net = new TestNetwork(seed) { Latency = TimeSpan.FromMilliseconds(latencyMs) };
        var (a, b, bOnA, aOnB) = net.Pair(bothEndpoints: true);
        var ping = new TimedPing(net, a, b, bOnA, aOnB, bTickPhase: seed * 37 % 100);
        var aNew = WgKey.GeneratePrivate();
        var bNew = WgKey.GeneratePrivate();

        // A session first (one initiator, so the start-up handshakes do not cross), then the ping.
        a.Send(bOnA, Packets.Make(20, 1));
        ping.Run(TimeSpan.FromMilliseconds(600), send: false);
        Assert.True(aOnB.HasCurrentKeypair);
        ping.Run(TimeSpan.FromSeconds(2));

        // The product's order: both learn the other's new key within a few ms, then both switch.
        var start = ping.Elapsed;
        ping.At(start + 13, () => Assert.True(b.Engine.ReplacePeerKey(a.PublicKey, aNew.PublicFromPrivate())));
        ping.At(start + 15, () => Assert.True(a.Engine.ReplacePeerKey(b.PublicKey, bNew.PublicFromPrivate())));
        var first = start + 277;
        ping.At(aFirst ? first : first + skewMs, () => a.Engine.RotatePrivateKey(aNew));
        ping.At(aFirst ? first + skewMs : first, () => b.Engine.RotatePrivateKey(bNew));
        var rotatedAt = net.Time.GetUtcNow().AddMilliseconds(277 + skewMs);
        ping.Run(TimeSpan.FromSeconds(20));
        ping.Run(TimeSpan.FromSeconds(1), send: false);

        Assert.Empty(ping.Refused);
        Assert.Equal([], ping.Lost());
        Assert.InRange(ping.MaxDelay(), 0, (2 * latencyMs) + 100);

        // Both ended on one session, made by a handshake after both switched.
        Assert.Equal(bOnA.Current!.LocalIndex, aOnB.Current!.RemoteIndex);
        Assert.Equal(aOnB.Current.LocalIndex, bOnA.Current.RemoteIndex);
        Assert.True(bOnA.LastHandshake >= rotatedAt);
        Assert.True(aOnB.LastHandshake >= rotatedAt);

        // Crossing rotation handshakes both complete: nobody waits REKEY_TIMEOUT for a retry, so the
        // last handshake is the rotation's own (jitter up to 333 ms, a tick, two round trips).
        var settled = rotatedAt.AddMilliseconds(333 + 100 + (4 * latencyMs) + 1);
        Assert.InRange(bOnA.LastHandshake!.Value, rotatedAt, settled);
        Assert.InRange(aOnB.LastHandshake!.Value, rotatedAt, settled);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 20)]
    [InlineData(3, 50)]
    public void CrossingInitiations_BothComplete_DeliverTheStagedPackets_AndSettleOnOneInitiatorSession(int seed, int latencyMs)
    {
        var net = new TestNetwork(seed) { Latency = TimeSpan.FromMilliseconds(latencyMs) };
        var (a, b, bOnA, aOnB) = net.Pair(bothEndpoints: true);

        // Both have something to say at the same moment, so both initiate and the initiations cross.
        Assert.Equal(OutboundAction.Queued, a.Send(bOnA, Packets.Make(20, 1)).Action);
        Assert.Equal(OutboundAction.Queued, b.Send(aOnB, Packets.Make(20, 2)).Action);
        var ping = new TimedPing(net, a, b, bOnA, aOnB, bTickPhase: 50);
        ping.Run(TimeSpan.FromMilliseconds(3 * latencyMs), send: false);

        // Each staged packet went out on its sender's own session after one round trip (and one more way), not after REKEY_TIMEOUT.
        Assert.Single(a.Tun);
        Assert.Single(b.Tun);
        Assert.Equal(2, a.Engine.Counters.InitiationsSent + b.Engine.Counters.InitiationsSent);
        Assert.Equal(4, a.Engine.Counters.HandshakesCompleted + b.Engine.Counters.HandshakesCompleted);

        // Then both settle on the session of the node with the greater public key, an initiator's.
        ping.Run(TimeSpan.FromSeconds(2));
        ping.Run(TimeSpan.FromMilliseconds(latencyMs), send: false);
        Assert.Equal([], ping.Lost());
        Assert.Equal(bOnA.Current!.LocalIndex, aOnB.Current!.RemoteIndex);
        Assert.Equal(aOnB.Current.LocalIndex, bOnA.Current.RemoteIndex);
        var aWins = a.PublicKey.AsSpan().SequenceCompareTo(b.PublicKey.AsSpan()) > 0;
        Assert.Equal(aWins, bOnA.Current.IsInitiator);
        Assert.Equal(!aWins, aOnB.Current.IsInitiator);
        Assert.Equal(0, a.Engine.Counters.TotalDrops + b.Engine.Counters.TotalDrops);
    }
}
