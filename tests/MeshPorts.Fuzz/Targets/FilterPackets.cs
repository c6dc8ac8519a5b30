using MeshPorts.Node.Filter;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Fuzz.Targets;

/// <summary>
/// The packet filter's parser and verdicts on what a peer decrypts to (inbound) and what a local program
/// sends (outbound). Input: byte 0 picks the direction (low bit: outbound), the rest is one IP packet;
/// one rule admits the known peer to TCP 22, UDP 53 and ICMP, so both the allow and the deny paths run.
/// </summary>
internal static class FilterPackets
{
    private static readonly WgKey Peer = WgKey.FromBytes([.. Enumerable.Repeat((byte)7, WgKey.Size)]);

    public static FuzzTarget Target { get; } = new(
        "filter-packet",
        "a peer: decrypted packets (inbound); a local program: packets to the overlay (node Filter ParsedPacket, PacketFilter)",
        Run,
        Seeds);

    private static void Run(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        var packet = data[1..];
        ParsedPacket.Parse(packet, out _);
        var filter = new PacketFilter(new FixedTime(), [SeedPackets.Local4, SeedPackets.Local6]);
        filter.ReplaceRules(
        [
            new FilterRule("ssh", FilterRuleKind.Rule, Peer, FilterProtocol.Tcp, 22),
            new FilterRule("dns", FilterRuleKind.Rule, Peer, FilterProtocol.Udp, 53),
            new FilterRule("ping", FilterRuleKind.Rule, Peer, FilterProtocol.Icmp, 0, 65535),
        ]);
        var tunReset = new byte[PacketFilter.ResetBufferSize];
        var peerReset = new byte[PacketFilter.ResetBufferSize];
        var verdict = (data[0] & 1) != 0
            ? filter.Outbound(Peer, packet, tunReset, peerReset)
            : filter.Inbound(Peer, packet, tunReset, peerReset);
        ParsedPacket.Parse(tunReset.AsSpan(0, verdict.TunResetLength), out _);
        ParsedPacket.Parse(peerReset.AsSpan(0, verdict.PeerResetLength), out _);
        filter.Sweep();
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        yield return ("ssh-syn-in", [0, .. SeedPackets.Tcp(SeedPackets.Remote4, SeedPackets.Local4, 50000, 22, 1, SeedPackets.Syn, 0)]);
        yield return ("denied-syn-in", [0, .. SeedPackets.Tcp(SeedPackets.Remote4, SeedPackets.Local4, 50000, 80, 1, SeedPackets.Syn, 0)]);
        yield return ("dns-in-v6", [0, .. SeedPackets.Udp(SeedPackets.Remote6, SeedPackets.Local6, 5353, 53, 30)]);
        yield return ("ping-in", [0, .. SeedPackets.IcmpEcho(SeedPackets.Remote4, SeedPackets.Local4)]);
        yield return ("ping-in-v6", [0, .. SeedPackets.IcmpEcho(SeedPackets.Remote6, SeedPackets.Local6)]);
        yield return ("tcp-out", [1, .. SeedPackets.Tcp(SeedPackets.Local4, SeedPackets.Remote4, 40000, 443, 9, SeedPackets.Syn, 0)]);
        yield return ("udp-out-v6", [1, .. SeedPackets.Udp(SeedPackets.Local6, SeedPackets.Remote6, 40000, 443, 12)]);
    }
}
