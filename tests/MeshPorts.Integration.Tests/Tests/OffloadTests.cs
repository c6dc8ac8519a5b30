using MeshPorts.Integration.Tests.Harness;
using Xunit.Abstractions;

namespace MeshPorts.Integration.Tests.Tests;

/// <summary>
/// The data plane's offloads (TUN vnet header with TSO/USO split on read and TCP coalescing on write,
/// UDP GSO/GRO): large transfers arrive intact both ways, IPv6 takes the TSO6 path, UDP super-packets
/// are cut into the right datagrams, and the start log says which offloads are in use. Ping and the
/// 50 MB transfer run with offloads off too, through <see cref="Pairs.OffloadsOff"/>.
/// </summary>
[Collection(NetNsCollection.Name)]
public sealed class OffloadTests(ITestOutputHelper output)
{
    private const long OneGibibyte = 1L << 30;

    public static TheoryData<PeerKind, PeerKind> GibibytePairs => new()
    {
        { PeerKind.Meshports, PeerKind.Meshports },
        { PeerKind.Meshports, PeerKind.WireGuardGo },
    };

    /// <summary>IPv6 TCP between two peers with offloads: the TUN hands over TSO6 super-packets and takes coalesced IPv6 segments.</summary>
    [Fact(Timeout = 360_000)]
    public async Task TcpTransfer_Ipv6_OffloadsOnBothSides_50MegabytesEachWay_ArrivesWithMatchingSha256()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(330));
        var file = TransferFile.Path;
        var expected = await TcpTransfer.Sha256OfFileAsync(file, cts.Token);
        await using var pair = await PeerPair.CreateAsync(PeerKind.Meshports, PeerKind.Meshports, cts.Token);

        var atB = await TcpTransfer.SendAsync(pair.A, pair.B, PeerPair.Overlay6B, file, cts.Token);
        await pair.AssertAsync(atB == expected, $"A -> B over IPv6: received sha256 {atB}, sent {expected}");

        var atA = await TcpTransfer.SendAsync(pair.B, pair.A, PeerPair.Overlay6A, file, cts.Token);
        await pair.AssertAsync(atA == expected, $"B -> A over IPv6: received sha256 {atA}, sent {expected}");
    }

    /// <summary>1 GiB of random bytes streamed each way (no file on disk), sha256 taken at both ends; prints time and Mbit/s.</summary>
    [Trait("Category", "Slow")]
    [Theory(Timeout = 900_000)]
    [MemberData(nameof(GibibytePairs))]
    public async Task TcpStream_OneGibibyteEachWay_SenderAndReceiverSha256Match(PeerKind a, PeerKind b)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(870));
        await using var pair = await PeerPair.CreateAsync(a, b, cts.Token);
        var warmUp = await pair.A.PingAsync(PeerPair.OverlayB, count: 2, intervalSeconds: 0.2, cts.Token);
        await pair.AssertAsync(warmUp.Received == 2, $"warm-up A -> B: {warmUp.Received}/2\n{warmUp.Output}");

        (string Name, WgPeer From, WgPeer To, string Address)[] directions =
        [
            ($"A ({a}) -> B ({b})", pair.A, pair.B, PeerPair.OverlayB),
            ($"B ({b}) -> A ({a})", pair.B, pair.A, PeerPair.OverlayA),
        ];
        foreach (var (name, from, to, address) in directions)
        {
            // The rate includes /dev/urandom, tee, dd and two sha256sum on the same two cores as both daemons.
            var result = await StreamTransfer.SendAsync(from, to, address, OneGibibyte, TimeSpan.FromSeconds(400), cts.Token);
            output.WriteLine($"1 GiB {name} over IPv4: {result.Describe()}");
            await pair.AssertAsync(
                result.ReceivedBytes == OneGibibyte && result.ReceivedSha256 == result.SentSha256,
                $"1 GiB {name}: {result.Describe()}\nreceiver: {result.ReceiverOutput}");
        }
    }

    /// <summary>iperf3 UDP at 100 Mbit/s for 5 s each way between two peers with offloads (UDP GSO on send, GRO on receive).</summary>
    [Fact(Timeout = 120_000)]
    public async Task Udp_Iperf3At100MbitEachWay_OffloadsOnBothSides_LossUnderOnePercent()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(100));
        await using var pair = await PeerPair.CreateAsync(PeerKind.Meshports, PeerKind.Meshports, cts.Token);
        var warmUp = await pair.A.PingAsync(PeerPair.OverlayB, count: 2, intervalSeconds: 0.2, cts.Token);
        await pair.AssertAsync(warmUp.Received == 2, $"warm-up A -> B: {warmUp.Received}/2\n{warmUp.Output}");

        // 100 Mbit/s for 5 s is 62.5 MB; at least 90 % of it must be counted at the receiver.
        const long minimumBytes = 100_000_000L / 8 * 5 * 9 / 10;
        (WgPeer From, WgPeer To, string Address)[] directions =
        [
            (pair.A, pair.B, PeerPair.OverlayB),
            (pair.B, pair.A, PeerPair.OverlayA),
        ];
        foreach (var (from, to, address) in directions)
        {
            var run = await UdpChecks.IperfAsync(from, to, address, "100M", seconds: 5, cts.Token);
            output.WriteLine($"iperf3 -u 100M {from.Kind} -> {to.Kind} ({address}): {run.Describe()}");
            await pair.AssertAsync(
                run.Succeeded && run.Packets > 0 && run.LostPercent < 1 && run.ReceivedBytes >= minimumBytes,
                $"iperf3 -u -b 100M -> {address}: {run.Error ?? "ok"}; {run.Describe()} (want < 1 % lost, >= {minimumBytes} bytes)\n{run.Output}");
        }
    }

    /// <summary>
    /// One sendto of 10 x 1200 bytes with UDP_SEGMENT: on a TUN with USO the kernel hands the daemon a
    /// single super-packet, which must leave as 10 datagrams that arrive whole and in the right bytes.
    /// </summary>
    [Theory(Timeout = 120_000)]
    [InlineData(PeerPair.OverlayB)]
    [InlineData(PeerPair.Overlay6B)]
    public async Task Udp_SegmentedSend_TenDatagramsArriveIntact(string address)
    {
        const int segment = 1200;
        const int count = 10;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(100));
        await using var pair = await PeerPair.CreateAsync(PeerKind.Meshports, PeerKind.Meshports, cts.Token);
        var warmUp = await pair.A.PingAsync(address, count: 2, intervalSeconds: 0.2, cts.Token);
        await pair.AssertAsync(warmUp.Received == 2, $"warm-up A -> {address}: {warmUp.Received}/2\n{warmUp.Output}");

        var txBefore = await UdpChecks.TxPacketsAsync(pair.A, cts.Token);
        var (sent, received, senderOutput, receiverOutput) = await UdpChecks.SegmentedSendAsync(pair.A, pair.B, address, segment, count, cts.Token);
        var txPackets = await UdpChecks.TxPacketsAsync(pair.A, cts.Token) - txBefore;
        output.WriteLine($"UDP_SEGMENT {count} x {segment} to {address}: A's TUN handed the daemon {txPackets} packet(s); B received {received.Count} datagram(s)");

        await pair.AssertAsync(sent.Count == count, $"the sender did not list {count} segments:\n{senderOutput}");
        await pair.AssertAsync(
            received.SequenceEqual(sent),
            $"to {address}: sent (len sha256, in order)\n{string.Join('\n', sent)}\nreceived\n{receiverOutput}");

        // With USO granted on the TUN the 10 datagrams cross it as one packet (plus perhaps a stray
        // IPv6 control packet); 10 or more means the kernel segmented them and the USO path went untested.
        var uso = address.Contains(':', StringComparison.Ordinal) ? "uso6" : "uso4";
        if (OffloadStartLog.Parse(pair.A.DaemonOutput)?.Tun.Contains(uso) == true)
        {
            await pair.AssertAsync(
                txPackets < count,
                $"A's TUN advertises {uso}, yet the kernel handed the daemon {txPackets} packets for one {count}-segment send");
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task StartLog_NamesTheOffloadsInUse_AndNoneWithNoOffload()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        await using var pair = await PeerPair.CreateAsync(PeerKind.Meshports, PeerKind.MeshportsNoOffload, cts.Token);

        var on = OffloadStartLog.Parse(pair.A.DaemonOutput);
        var off = OffloadStartLog.Parse(pair.B.DaemonOutput);
        output.WriteLine($"default: TUN {on?.TunText}, UDP {on?.UdpText}; --no-offload: TUN {off?.TunText}, UDP {off?.UdpText}");
        await pair.AssertAsync(on is not null, "the default peer's output has no \"offloads: TUN ..., UDP ...\" line (is LOG_LEVEL at least info?)");
        await pair.AssertAsync(
            on!.Tun.IsSupersetOf(["csum", "tso4", "tso6"]) && on.Udp.IsSupersetOf(["gso", "gro"]),
            $"default peer: TUN {on.TunText}, UDP {on.UdpText}; want TUN csum,tso4,tso6 and UDP gso,gro at least");
        await pair.AssertAsync(off is not null, "the --no-offload peer's output has no \"offloads: TUN ..., UDP ...\" line");
        await pair.AssertAsync(
            off!.TunText == "none" && off.UdpText == "none",
            $"--no-offload peer: TUN {off.TunText}, UDP {off.UdpText}; want none and none");
    }
}
