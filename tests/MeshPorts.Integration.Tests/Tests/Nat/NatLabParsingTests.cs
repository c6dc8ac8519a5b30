using MeshPorts.Integration.Tests.Harness.Nat;

namespace MeshPorts.Integration.Tests.Tests.Nat;

/// <summary>The lab's parsers and its nft table text, checked without root.</summary>
public sealed class NatLabParsingTests
{
    [Fact]
    public void Conntrack_ReadsBothTuples_AndSkipsOtherLines()
    {
        const string output = """
            udp      17 29 src=10.77.1.10 dst=198.51.100.1 sport=40001 dport=3478 src=198.51.100.1 dst=198.51.100.11 sport=3478 dport=63020 mark=0 use=1
            udp      17 28 src=198.51.100.12 dst=198.51.100.11 sport=51820 dport=51820 [UNREPLIED] src=10.77.1.10 dst=198.51.100.12 sport=51820 dport=51820 mark=0 use=1
            tcp      6 431999 ESTABLISHED src=10.77.1.10 dst=198.51.100.1 sport=50312 dport=7443 src=198.51.100.1 dst=198.51.100.11 sport=7443 dport=50312 [ASSURED] mark=0 use=1
            icmp     1 29 src=10.77.1.10 dst=198.51.100.1 type=8 code=0 id=7 src=198.51.100.1 dst=198.51.100.11 type=0 code=0 id=7 mark=0 use=1
            udp      17 29 src=10.77.1.10 dst=198.51.100.1 sport=40001
            conntrack v1.4.7 (conntrack-tools): 5 flow entries have been shown.
            """;

        var entries = ConntrackEntry.ParseAll(output);

        Assert.Equal(3, entries.Count);
        Assert.Equal(new ConntrackEntry("udp", "10.77.1.10", 40001, "198.51.100.1", 3478, "198.51.100.1", 3478, "198.51.100.11", 63020), entries[0]);
        Assert.Equal("198.51.100.11:63020", entries[0].Public);
        Assert.Equal("10.77.1.10", entries[1].ReplySource);
        Assert.Equal(("tcp", 7443), (entries[2].Protocol, entries[2].DestinationPort));
    }

    [Fact]
    public void UdpAnswer_ReadsRepliesAndSilences_AndIgnoresTheRest()
    {
        var answers = UdpAnswer.ParseAll("reply 198.51.100.1:3478 seen 198.51.100.11 40001\nnoreply 198.51.100.2:3478\nlistening\nreply x seen y notaport\ndone\n");

        Assert.Equal([new UdpAnswer("198.51.100.1:3478", "198.51.100.11", 40001), new UdpAnswer("198.51.100.2:3478", null, null)], answers);
        Assert.True(answers[0].Answered);
        Assert.False(answers[1].Answered);
    }

    [Fact]
    public void Rules_PortPreservingIsPlainMasquerade_SymmetricIsFullyRandom()
    {
        var preserving = NatRules.Build("wan", "lan", NatKind.PortPreserving, udpBlocked: false, [], portRange: null);
        var symmetric = NatRules.Build("wan", "lan", NatKind.Symmetric, udpBlocked: false, [], portRange: null);

        Assert.Contains("oifname \"wan\" masquerade\n", preserving.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain("fully-random", preserving, StringComparison.Ordinal);
        Assert.Contains("masquerade fully-random", symmetric, StringComparison.Ordinal);
        Assert.DoesNotContain("meta l4proto udp counter", preserving, StringComparison.Ordinal);
    }

    [Fact]
    public void Rules_UdpBlockComesBeforeTheEstablishedAccept_SoRunningFlowsAreCutToo()
    {
        var text = NatRules.Build("wan", "lan", NatKind.PortPreserving, udpBlocked: true, [], portRange: null);

        var block = text.IndexOf("meta l4proto udp counter name", StringComparison.Ordinal);
        var established = text.IndexOf("ct state established,related accept", text.IndexOf("site_forward", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.True(block > 0 && block < established, text);
    }

    [Fact]
    public void Rules_ForwardsAndPortRange_AreWrittenAsNftExpects()
    {
        var host = new PortForward("udp", 51820, "10.77.1.10", 51821);

        var text = NatRules.Build("wan", "lan", NatKind.Symmetric, udpBlocked: false, [host], portRange: (20100, 20199));

        Assert.Contains("iifname \"wan\" udp dport 51820 dnat to 10.77.1.10:51821", text, StringComparison.Ordinal);
        Assert.Contains("meta l4proto { tcp, udp } masquerade to :20100-20199 fully-random", text, StringComparison.Ordinal);
        Assert.StartsWith($"table ip {NatRules.Table}\ndelete table ip {NatRules.Table}\n", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }
}
