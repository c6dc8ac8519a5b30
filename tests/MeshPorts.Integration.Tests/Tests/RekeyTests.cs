using MeshPorts.Integration.Tests.Harness;

namespace MeshPorts.Integration.Tests.Tests;

/// <summary>
/// WireGuard paper section 6.2: after Rekey-After-Time (120 s) the sender starts a new handshake, and
/// the old session keeps carrying packets until the new one is confirmed, so nothing is lost.
/// </summary>
[Collection(NetNsCollection.Name)]
public sealed class RekeyTests
{
    // 5 pings a second for 135 s: past the 120 s rekey with room for the handshake to finish.
    private const int PingCount = 675;
    private const double PingInterval = 0.2;

    // A reply delayed by the handshake may still arrive late; more than this is real loss.
    private const int MaxLost = 2;

    [Trait("Category", "Slow")]
    [Theory(Timeout = 240_000)]
    [MemberData(nameof(Pairs.All), MemberType = typeof(Pairs))]
    public async Task Rekey_After120sOfContinuousPings_HandshakeRenewsWithoutLoss(PeerKind a, PeerKind b)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(220));
        await using var pair = await PeerPair.CreateAsync(a, b, cts.Token);

        var warmUp = await pair.A.PingAsync(PeerPair.OverlayB, count: 2, intervalSeconds: 0.2, cts.Token);
        await pair.AssertAsync(warmUp.Received == 2, $"warm-up A -> B: {warmUp.Received}/2");
        var firstOnA = (await pair.A.ShowDumpAsync(cts.Token)).Peer(pair.KeysB.PublicKey).LatestHandshake;
        var firstOnB = (await pair.B.ShowDumpAsync(cts.Token)).Peer(pair.KeysA.PublicKey).LatestHandshake;

        var run = await pair.A.PingAsync(PeerPair.OverlayB, PingCount, PingInterval, cts.Token);

        var laterOnA = (await pair.A.ShowDumpAsync(cts.Token)).Peer(pair.KeysB.PublicKey).LatestHandshake;
        var laterOnB = (await pair.B.ShowDumpAsync(cts.Token)).Peer(pair.KeysA.PublicKey).LatestHandshake;
        await pair.AssertAsync(
            laterOnA > firstOnA && laterOnB > firstOnB,
            $"no rekey seen after {PingCount * PingInterval} s: A {firstOnA} -> {laterOnA}, B {firstOnB} -> {laterOnB}");
        await pair.AssertAsync(
            run.Transmitted == PingCount && run.Lost <= MaxLost,
            $"lost {run.Lost} of {run.Transmitted} pings across the rekey\n{run.Output}");
    }
}
