using MeshPorts.Integration.Tests.Harness;

namespace MeshPorts.Integration.Tests.Tests;

[Collection(NetNsCollection.Name)]
public sealed class PingTests
{
    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Pairs.All), MemberType = typeof(Pairs))]
    [MemberData(nameof(Pairs.OffloadsOff), MemberType = typeof(Pairs))]
    public async Task Ping_BothWaysOverIpv4AndIpv6_EveryReplyArrives(PeerKind a, PeerKind b)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(100));
        await using var pair = await PeerPair.CreateAsync(a, b, cts.Token);

        (WgPeer From, string To)[] legs =
        [
            (pair.A, PeerPair.OverlayB),
            (pair.B, PeerPair.OverlayA),
            (pair.A, PeerPair.Overlay6B),
            (pair.B, PeerPair.Overlay6A),
        ];
        foreach (var (from, to) in legs)
        {
            var ping = await from.PingAsync(to, count: 5, intervalSeconds: 0.2, cts.Token);
            await pair.AssertAsync(
                ping.Transmitted == 5 && ping.Received == 5,
                $"{from.Kind} -> {to}: {ping.Received}/{ping.Transmitted} replies\n{ping.Output}");
        }
    }
}
