using MeshPorts.Integration.Tests.Harness;

namespace MeshPorts.Integration.Tests.Tests;

[Collection(NetNsCollection.Name)]
public sealed class HandshakeTests
{
    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Pairs.All), MemberType = typeof(Pairs))]
    public async Task WgShow_AfterHandshakeStartedByA_ReportsHandshakeEndpointAndGrowingByteCounts(PeerKind a, PeerKind b)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(100));
        await using var pair = await PeerPair.CreateAsync(a, b, cts.Token);

        var before = (await pair.A.ShowDumpAsync(cts.Token)).Peer(pair.KeysB.PublicKey);
        await pair.AssertAsync(before.LatestHandshake == 0, $"A reports a handshake before any traffic: {before}");

        var first = await pair.A.PingAsync(PeerPair.OverlayB, count: 3, intervalSeconds: 0.2, cts.Token);
        await pair.AssertAsync(first.Received == 3, $"A -> B: {first.Received}/3\n{first.Output}");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var a1 = (await pair.A.ShowDumpAsync(cts.Token)).Peer(pair.KeysB.PublicKey);
        var b1 = (await pair.B.ShowDumpAsync(cts.Token)).Peer(pair.KeysA.PublicKey);
        foreach (var (side, peer) in new[] { ("A", a1), ("B", b1) })
        {
            await pair.AssertAsync(
                Math.Abs(now - peer.LatestHandshake) <= 30,
                $"{side}: latest handshake {peer.LatestHandshake} is not within 30 s of now ({now})");
            await pair.AssertAsync(peer.RxBytes > 0 && peer.TxBytes > 0, $"{side}: byte counts not reported: {peer}");
        }

        // B learned A's endpoint from the handshake alone: it was configured, but must be the real source.
        await pair.AssertAsync(
            b1.Endpoint == $"{TwoHostNetwork.LeftUnderlay}:{PeerPair.PortA}",
            $"B reports A's endpoint as {b1.Endpoint}");

        var more = await pair.B.PingAsync(PeerPair.OverlayA, count: 20, intervalSeconds: 0.05, cts.Token);
        await pair.AssertAsync(more.Received == 20, $"B -> A: {more.Received}/20\n{more.Output}");
        var a2 = (await pair.A.ShowDumpAsync(cts.Token)).Peer(pair.KeysB.PublicKey);
        var b2 = (await pair.B.ShowDumpAsync(cts.Token)).Peer(pair.KeysA.PublicKey);

        // 20 echo requests and replies of 84 bytes each, before encryption overhead, went each way.
        const long minimumGrowth = 20 * 84;
        foreach (var (side, was, now2) in new[] { ("A", a1, a2), ("B", b1, b2) })
        {
            await pair.AssertAsync(
                now2.RxBytes - was.RxBytes >= minimumGrowth && now2.TxBytes - was.TxBytes >= minimumGrowth,
                $"{side}: counters grew too little after 20 pings: rx {was.RxBytes} -> {now2.RxBytes}, tx {was.TxBytes} -> {now2.TxBytes}");
        }
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Pairs.All), MemberType = typeof(Pairs))]
    public async Task Handshake_StartedByB_CompletesAndBothSidesReportIt(PeerKind a, PeerKind b)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(100));
        await using var pair = await PeerPair.CreateAsync(a, b, cts.Token);

        var ping = await pair.B.PingAsync(PeerPair.OverlayA, count: 3, intervalSeconds: 0.2, cts.Token);
        await pair.AssertAsync(ping.Received == 3, $"B -> A: {ping.Received}/3\n{ping.Output}");

        var onA = (await pair.A.ShowDumpAsync(cts.Token)).Peer(pair.KeysB.PublicKey);
        var onB = (await pair.B.ShowDumpAsync(cts.Token)).Peer(pair.KeysA.PublicKey);
        await pair.AssertAsync(onA.LatestHandshake != 0 && onB.LatestHandshake != 0, $"handshake not reported: A sees {onA}, B sees {onB}");
        await pair.AssertAsync(
            onA.Endpoint == $"{TwoHostNetwork.RightUnderlay}:{PeerPair.PortB}",
            $"A reports B's endpoint as {onA.Endpoint}");

        var back = await pair.A.PingAsync(PeerPair.OverlayB, count: 3, intervalSeconds: 0.2, cts.Token);
        await pair.AssertAsync(back.Received == 3, $"A -> B on B's session: {back.Received}/3\n{back.Output}");
    }
}
