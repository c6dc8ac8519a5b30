using MeshPorts.Integration.Tests.Harness;

namespace MeshPorts.Integration.Tests.Tests;

/// <summary>The harness's own parsers: a wrong parse would make every integration verdict meaningless.</summary>
public sealed class HarnessParsingTests
{
    private const string Dump =
        "cHJpdmF0ZQ==\tqIzJ6G2FD3PzszHkKGWVG1AdPDmr87/9nZlwPkMCm2g=\t51820\toff\n" +
        "voseDrYWDYYRPyCM/KaAFv/VTmZOiSl2NMzGg3NWpX4=\t(none)\t198.18.0.2:51820\t100.96.0.2/32\t1795930986\t476\t532\toff\n" +
        "WNugr3P3CKKkY3CXf5syQXjlp7LbCDeu0Jzt9ROMdg8=\t(none)\t(none)\t(none)\t0\t0\t0\t25\n";

    [Fact]
    public void WgDump_WithTwoPeers_ParsesInterfaceAndEveryPeerField()
    {
        var dump = WgDump.Parse(Dump);

        Assert.Equal("qIzJ6G2FD3PzszHkKGWVG1AdPDmr87/9nZlwPkMCm2g=", dump.PublicKey);
        Assert.Equal(51820, dump.ListenPort);
        Assert.Equal(2, dump.Peers.Count);
        var first = dump.Peer("voseDrYWDYYRPyCM/KaAFv/VTmZOiSl2NMzGg3NWpX4=");
        Assert.Equal("198.18.0.2:51820", first.Endpoint);
        Assert.Equal(1795930986, first.LatestHandshake);
        Assert.Equal(476, first.RxBytes);
        Assert.Equal(532, first.TxBytes);
        var second = dump.Peer("WNugr3P3CKKkY3CXf5syQXjlp7LbCDeu0Jzt9ROMdg8=");
        Assert.Null(second.Endpoint);
        Assert.Equal(0, second.LatestHandshake);
        Assert.Equal("25", second.PersistentKeepalive);
    }

    [Fact]
    public void WgDump_WithTruncatedPeerLine_IsRejected()
    {
        Assert.Throws<FormatException>(() => WgDump.Parse("k\tp\t1\toff\npeer\t(none)\t1.2.3.4:5\n"));
    }

    [Fact]
    public void WgDump_LookingUpAnUnknownPeer_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => WgDump.Parse(Dump).Peer("nobody"));
    }

    [Fact]
    public void PingResult_WithLoss_CountsTransmittedAndReceived()
    {
        var ping = PingResult.Parse(
            "--- 100.96.0.2 ping statistics ---\n675 packets transmitted, 673 received, 0.296296% packet loss, time 134800ms\n");

        Assert.Equal(675, ping.Transmitted);
        Assert.Equal(673, ping.Received);
        Assert.Equal(2, ping.Lost);
    }

    [Fact]
    public void PingResult_WithoutSummary_IsRejected()
    {
        Assert.Throws<FormatException>(() => PingResult.Parse("ping: connect: Network is unreachable\n"));
    }

    [Fact]
    public void UniqueNames_NamespaceName_CarriesOwnerPidForTheSweeper()
    {
        var name = UniqueNames.Namespace("a");

        Assert.StartsWith(UniqueNames.NamespacePrefix, name, StringComparison.Ordinal);
        Assert.Equal(Environment.ProcessId, UniqueNames.OwnerPid(name));
        Assert.Null(UniqueNames.OwnerPid("other-123-x"));
    }

    [Fact]
    public void UniqueNames_InterfaceName_FitsIfNameSizeAndDiffersEachTime()
    {
        var first = UniqueNames.Interface();
        var second = UniqueNames.Interface();

        Assert.InRange(first.Length, 1, 15);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void OffloadStartLog_DefaultLine_SplitsTheTunAndUdpLists()
    {
        var log = OffloadStartLog.Parse(
            "info: MeshPorts.Node.Device.Device[1]\n      Interface mpit1 is up (MTU 1420), UDP port 51801; offloads: TUN csum,tso4,tso6,uso4,uso6, UDP gso,gro\n");

        Assert.NotNull(log);
        Assert.Equal("csum,tso4,tso6,uso4,uso6", log.TunText);
        Assert.Equal("gso,gro", log.UdpText);
        Assert.True(log.Tun.SetEquals(["csum", "tso4", "tso6", "uso4", "uso6"]));
        Assert.True(log.Udp.SetEquals(["gso", "gro"]));
    }

    [Fact]
    public void OffloadStartLog_NoOffloadLine_IsNoneAndNone()
    {
        var log = OffloadStartLog.Parse("Interface mpit1 is up (MTU 1420), UDP port 0; offloads: TUN none, UDP none");

        Assert.NotNull(log);
        Assert.Equal("none", log.TunText);
        Assert.Equal("none", log.UdpText);
    }

    [Fact]
    public void OffloadStartLog_WithoutTheLine_IsNull()
    {
        Assert.Null(OffloadStartLog.Parse("info: Interface mpit1 is up (MTU 1420), UDP port 0\n"));
    }

    [Fact]
    public void UdpIperfResult_ClientJson_TakesTheReceiversCounts()
    {
        // The shape of `iperf3 -c -u -J` 3.12, trimmed: end.sum is the sender's, end.sum_received the server's.
        const string json =
            """
            {"start": {}, "intervals": [],
             "end": {"sum": {"bytes": 62500000, "packets": 45680, "lost_packets": 0, "lost_percent": 0, "sender": true},
                     "sum_sent": {"bytes": 62500000, "packets": 45680, "lost_packets": 0, "lost_percent": 0, "sender": true},
                     "sum_received": {"bytes": 61000000, "packets": 45680, "lost_packets": 1096, "lost_percent": 2.4, "sender": false}}}
            """;

        var run = UdpIperfResult.Parse(exitedZero: true, json);

        Assert.True(run.Succeeded);
        Assert.Null(run.Error);
        Assert.Equal(45680, run.Packets);
        Assert.Equal(1096, run.LostPackets);
        Assert.Equal(2.4, run.LostPercent);
        Assert.Equal(61000000, run.ReceivedBytes);
    }

    [Fact]
    public void UdpIperfResult_WithIperfError_IsNotSucceeded()
    {
        var run = UdpIperfResult.Parse(exitedZero: false, """{"start": {}, "intervals": [], "end": {}, "error": "unable to connect to server"}""");

        Assert.False(run.Succeeded);
        Assert.Equal("unable to connect to server", run.Error);
    }
}
