using System.Buffers.Binary;
using MeshPorts.Node.Packets;

namespace MeshPorts.Node.Tests.Packets;

public class IpHeaderTests
{
    private static readonly byte[] Source4 = [10, 1, 2, 3];
    private static readonly byte[] Destination4 = [192, 0, 2, 77];

    [Fact]
    public void TryRead_IPv4_ReadsEveryFixedField()
    {
        var packet = IPv4(total: 40, protocol: IpProtocol.Udp);
        packet[1] = 0xB8; // DSCP EF
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), 0xBEEF);
        packet[6] = 0x40; // DF
        packet[8] = 33;

        Assert.True(IpHeader.TryRead(packet, out var ip));
        Assert.False(ip.IsIPv6);
        Assert.Equal(4, ip.Version);
        Assert.Equal(20, ip.HeaderLength);
        Assert.True(ip.HasCompleteHeader);
        Assert.Equal(40, ip.TotalLength);
        Assert.Equal(IpProtocol.Udp, ip.Protocol);
        Assert.Equal(0xB8, ip.TrafficClass);
        Assert.Equal(0xBEEF, ip.Identification);
        Assert.Equal(0x4000, ip.FlagsAndFragmentOffset);
        Assert.False(ip.IsFragment);
        Assert.Equal(33, ip.HopLimit);
        Assert.Equal(Source4, ip.Source.ToArray());
        Assert.Equal(Destination4, ip.Destination.ToArray());
        Assert.Equal([.. Source4, .. Destination4], ip.Addresses.ToArray());
    }

    [Fact]
    public void TryRead_IPv6_ReadsEveryFixedField()
    {
        var packet = IPv6(payload: 8, next: IpProtocol.Tcp);
        BinaryPrimitives.WriteUInt32BigEndian(packet, 0x6AB12345); // class 0xAB, flow label 0x12345
        packet[7] = 9;

        Assert.True(IpHeader.TryRead(packet, out var ip));
        Assert.True(ip.IsIPv6);
        Assert.Equal(6, ip.Version);
        Assert.Equal(40, ip.HeaderLength);
        Assert.Equal(48, ip.TotalLength);
        Assert.Equal(IpProtocol.Tcp, ip.Protocol);
        Assert.Equal(0xAB, ip.TrafficClass);
        Assert.Equal(0x12345, ip.FlowLabel);
        Assert.Equal(9, ip.HopLimit);
        Assert.Equal(0, ip.Identification);
        Assert.False(ip.IsFragment);
        Assert.Equal(packet.AsSpan(8, 16).ToArray(), ip.Source.ToArray());
        Assert.Equal(packet.AsSpan(24, 16).ToArray(), ip.Destination.ToArray());
        Assert.Equal(packet.AsSpan(8, 32).ToArray(), ip.Addresses.ToArray());
    }

    [Theory]
    [InlineData(0, 0x45)]
    [InlineData(19, 0x45)]
    [InlineData(39, 0x60)]
    [InlineData(60, 0x55)] // version 5
    [InlineData(60, 0x05)] // version 0
    public void TryRead_TruncatedOrNotIP_IsRefused(int length, byte first)
    {
        var packet = new byte[length];
        if (length > 0)
        {
            packet[0] = first;
        }

        Assert.False(IpHeader.TryRead(packet, out _));
    }

    [Theory]
    [InlineData(0x44, 20, false)] // IHL 4: shorter than the fixed header
    [InlineData(0x40, 20, false)]
    [InlineData(0x4F, 40, false)] // IHL 15 = 60 bytes in a 40-byte buffer
    [InlineData(0x46, 23, false)]
    [InlineData(0x46, 24, true)]
    [InlineData(0x45, 20, true)]
    public void HasCompleteHeader_ChecksTheIhlAgainstTheMinimumAndTheBuffer(byte first, int length, bool complete)
    {
        var packet = new byte[length];
        packet[0] = first;

        Assert.True(IpHeader.TryRead(packet, out var ip));
        Assert.Equal(complete, ip.HasCompleteHeader);
    }

    [Fact]
    public void TryReadPacket_CutsWireGuardPaddingOff()
    {
        var v4 = new byte[48];
        IPv4(total: 28, protocol: IpProtocol.Icmp).CopyTo(v4, 0);
        var v6 = new byte[64];
        IPv6(payload: 8, next: IpProtocol.Udp).CopyTo(v6, 0);

        Assert.True(IpHeader.TryReadPacket(v4, out var ip4));
        Assert.Equal(28, ip4.Packet.Length);
        Assert.True(IpHeader.TryReadPacket(v6, out var ip6));
        Assert.Equal(48, ip6.Packet.Length);
        Assert.Equal(28, IpHeader.DeclaredLength(v4));
        Assert.Equal(48, IpHeader.DeclaredLength(v6));
    }

    [Theory]
    [InlineData(4, 41, 40)] // claims a byte more than there is
    [InlineData(4, 19, 40)] // shorter than its own fixed header
    [InlineData(4, 0, 40)]
    [InlineData(6, 1, 40)] // IPv6 payload with no bytes behind the header
    [InlineData(6, 25, 64)]
    public void TryReadPacket_LengthDisagreeingWithTheBuffer_IsRefused(int version, int declared, int bufferLength)
    {
        var packet = new byte[bufferLength];
        if (version == 4)
        {
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)declared);
        }
        else
        {
            packet[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)declared);
        }

        Assert.True(IpHeader.TryRead(packet, out _));
        Assert.False(IpHeader.TryReadPacket(packet, out _));
        Assert.Equal(-1, IpHeader.DeclaredLength(packet));
    }

    [Fact]
    public void TryReadPacket_IhlUnderFive_IsRefused()
    {
        var packet = IPv4(total: 20, protocol: IpProtocol.Tcp);
        packet[0] = 0x44;

        Assert.False(IpHeader.TryReadPacket(packet, out _));
    }

    [Fact]
    public void TryReadPacket_IhlPastTheDeclaredLength_IsLeftToHasCompleteHeader()
    {
        // Routing takes such a packet as it always has; the filter and the offloads refuse it.
        var packet = IPv4(total: 24, protocol: IpProtocol.Tcp, bufferLength: 40);
        packet[0] = 0x47;

        Assert.True(IpHeader.TryReadPacket(packet, out var ip));
        Assert.Equal(24, ip.Packet.Length);
        Assert.False(ip.HasCompleteHeader);
        Assert.False(ip.TryFindTransport(out _, out _, out _));
    }

    [Theory]
    [InlineData(0x0000, false)]
    [InlineData(0x4000, false)] // DF alone
    [InlineData(0x8000, false)] // the reserved bit is not fragmentation
    [InlineData(0x2000, true)] // more fragments
    [InlineData(0x0001, true)] // a later fragment
    [InlineData(0x1FFF, true)]
    public void TryFindTransport_IPv4_ReportsFragmentsAndTheIhlOffset(ushort flagsAndOffset, bool fragment)
    {
        var packet = IPv4(total: 32, protocol: IpProtocol.Udp);
        packet[0] = 0x46;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), flagsAndOffset);

        Assert.True(IpHeader.TryRead(packet, out var ip));
        Assert.Equal(fragment, ip.IsFragment);
        Assert.True(ip.TryFindTransport(out var protocol, out var offset, out var isFragment));
        Assert.Equal(IpProtocol.Udp, protocol);
        Assert.Equal(24, offset);
        Assert.Equal(fragment, isFragment);
    }

    [Fact]
    public void TryFindTransport_IPv6_WalksHopByHopRoutingDestinationAndAuthenticationHeaders()
    {
        // Hop-by-hop (8 bytes), routing (24), AH (payload length 3: 20 bytes), destination options (8), then TCP.
        var packet = IPv6Chain([(0, 0), (43, 2), (51, 3), (60, 0)], IpProtocol.Tcp, tail: 20);

        Assert.True(IpHeader.TryRead(packet, out var ip));
        Assert.Equal(0, ip.Protocol); // the fixed header names the first extension, which the offloads refuse
        Assert.True(ip.TryFindTransport(out var protocol, out var offset, out var fragment));
        Assert.Equal(IpProtocol.Tcp, protocol);
        Assert.Equal(40 + 8 + 24 + 20 + 8, offset);
        Assert.False(fragment);
    }

    [Fact]
    public void TryFindTransport_IPv6FragmentHeader_EndsTheWalkAsAFragment()
    {
        var packet = IPv6Chain([(0, 0)], 44, tail: 16);

        Assert.True(IpHeader.TryRead(packet, out var ip));
        Assert.True(ip.TryFindTransport(out var protocol, out var offset, out var fragment));
        Assert.True(fragment);
        Assert.Equal(44, protocol);
        Assert.Equal(48, offset);
    }

    [Theory]
    [InlineData(8, true)]
    [InlineData(9, false)]
    public void TryFindTransport_IPv6_WalksAtMostEightExtensionHeaders(int count, bool found)
    {
        var chain = Enumerable.Repeat(((byte)60, (byte)0), count).ToArray();
        var packet = IPv6Chain(chain, IpProtocol.Udp, tail: 8);

        Assert.True(IpHeader.TryRead(packet, out var ip));
        Assert.Equal(found, ip.TryFindTransport(out var protocol, out var offset, out _));
        if (found)
        {
            Assert.Equal(IpProtocol.Udp, protocol);
            Assert.Equal(40 + (8 * count), offset);
        }
    }

    [Fact]
    public void TryFindTransport_IPv6ExtensionHeaderCutShort_IsRefused()
    {
        var packet = IPv6Chain([(0, 0)], IpProtocol.Tcp, tail: 0);
        Assert.True(IpHeader.TryRead(packet.AsSpan(0, 47), out var truncated));
        Assert.False(truncated.TryFindTransport(out _, out _, out _));

        // A routing header claiming 24 bytes with only 16 behind the fixed header.
        var overrun = IPv6Chain([(43, 2)], IpProtocol.Tcp, tail: 0);
        Assert.True(IpHeader.TryRead(overrun.AsSpan(0, 56), out var ip));
        Assert.False(ip.TryFindTransport(out _, out _, out _));
        Assert.True(IpHeader.TryRead(overrun, out var whole));
        Assert.True(whole.TryFindTransport(out _, out var offset, out _));
        Assert.Equal(64, offset);
    }

    private static byte[] IPv4(int total, byte protocol, int bufferLength = 0)
    {
        var packet = new byte[Math.Max(total, bufferLength)];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)total);
        packet[8] = 64;
        packet[9] = protocol;
        Source4.CopyTo(packet, 12);
        Destination4.CopyTo(packet, 16);
        return packet;
    }

    private static byte[] IPv6(int payload, byte next)
    {
        var packet = new byte[40 + payload];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)payload);
        packet[6] = next;
        packet[7] = 64;
        for (var i = 8; i < 40; i++)
        {
            packet[i] = (byte)i;
        }

        return packet;
    }

    // An IPv6 packet whose fixed header is followed by extension headers, each (number, length field),
    // then the final protocol and tail bytes for it.
    private static byte[] IPv6Chain((byte Number, byte Length)[] chain, byte final, int tail)
    {
        var sizes = chain.Select(h => h.Number == 51 ? (h.Length + 2) * 4 : (h.Length + 1) * 8).ToArray();
        var packet = IPv6(sizes.Sum() + tail, chain.Length > 0 ? chain[0].Number : final);
        var offset = 40;
        for (var i = 0; i < chain.Length; i++)
        {
            packet[offset] = i + 1 < chain.Length ? chain[i + 1].Number : final;
            packet[offset + 1] = chain[i].Length;
            offset += sizes[i];
        }

        return packet;
    }
}
