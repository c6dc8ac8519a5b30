using System.Buffers.Binary;
using MeshPorts.Node.Packets;

namespace MeshPorts.Node.Tests.Packets;

public class TransportHeaderTests
{
    [Fact]
    public void TcpHeader_WithOptions_ReadsItsFieldsAndPayload()
    {
        var segment = Tcp(dataOffsetWords: 7, length: 40);
        BinaryPrimitives.WriteUInt16BigEndian(segment, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), 5432);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(4), 0xDEADBEEF);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(8), 0x01020304);
        segment[13] = IpProtocol.TcpAck | IpProtocol.TcpPsh;
        segment[20] = 1;
        segment[27] = 7;

        Assert.True(TcpHeader.TryRead(segment, out var tcp));
        Assert.Equal(40000, tcp.SourcePort);
        Assert.Equal(5432, tcp.DestinationPort);
        Assert.Equal(0xDEADBEEF, tcp.Sequence);
        Assert.Equal(0x01020304u, tcp.Acknowledgment);
        Assert.Equal(28, tcp.HeaderLength);
        Assert.Equal(IpProtocol.TcpAck | IpProtocol.TcpPsh, tcp.Flags);
        Assert.Equal(segment.AsSpan(20, 8).ToArray(), tcp.Options.ToArray());
        Assert.Equal(12, tcp.PayloadLength);
    }

    [Theory]
    [InlineData(5, 19)] // truncated before the data offset's end
    [InlineData(4, 40)] // data offset under 20 bytes
    [InlineData(0, 40)]
    [InlineData(6, 23)] // options past the buffer
    [InlineData(15, 59)]
    public void TcpHeader_TruncatedOrBadDataOffset_IsRefused(int dataOffsetWords, int length)
    {
        Assert.False(TcpHeader.TryRead(Tcp(dataOffsetWords, length), out _));
    }

    [Theory]
    [InlineData(5, 20, 0)]
    [InlineData(15, 60, 0)]
    [InlineData(5, 21, 1)]
    public void TcpHeader_HeaderFillingTheBuffer_IsWhole(int dataOffsetWords, int length, int payload)
    {
        Assert.True(TcpHeader.TryRead(Tcp(dataOffsetWords, length), out var tcp));
        Assert.Equal(payload, tcp.PayloadLength);
    }

    [Theory]
    [InlineData(8, 8, true)]
    [InlineData(12, 20, true)] // trailing bytes past the datagram are allowed
    [InlineData(20, 20, true)]
    [InlineData(7, 20, false)] // declares less than its own header
    [InlineData(21, 20, false)] // declares more than there is
    public void UdpHeader_ChecksItsLengthAgainstTheBuffer(int declared, int length, bool valid)
    {
        var datagram = new byte[length];
        BinaryPrimitives.WriteUInt16BigEndian(datagram, 53);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), 33000);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(4), (ushort)declared);

        Assert.Equal(valid, UdpHeader.TryRead(datagram, out var udp));
        if (valid)
        {
            Assert.Equal(53, udp.SourcePort);
            Assert.Equal(33000, udp.DestinationPort);
            Assert.Equal(declared, udp.Length);
        }
    }

    [Fact]
    public void UdpHeader_Truncated_IsRefused()
    {
        Assert.False(UdpHeader.TryRead(new byte[7], out _));
    }

    [Fact]
    public void IcmpHeader_ReadsTypeIdentifierAndBody_AndNeedsEightBytes()
    {
        byte[] message = [8, 0, 0xAA, 0xBB, 0x12, 0x34, 0, 1, 0x45, 0x99];

        Assert.True(IcmpHeader.TryRead(message, out var icmp));
        Assert.Equal(8, icmp.Type);
        Assert.Equal(0x1234, icmp.Identifier);
        Assert.Equal(new byte[] { 0x45, 0x99 }, icmp.Body.ToArray());
        Assert.False(IcmpHeader.TryRead(message.AsSpan(0, 7), out _));
    }

    [Fact]
    public void TransportPorts_ReadTheFirstFourBytes()
    {
        byte[] quoted = [0x9C, 0x40, 0x15, 0x38];

        Assert.Equal(40000, TransportPorts.Source(quoted));
        Assert.Equal(5432, TransportPorts.Destination(quoted));
    }

    private static byte[] Tcp(int dataOffsetWords, int length)
    {
        var segment = new byte[length];
        if (length > 12)
        {
            segment[12] = (byte)(dataOffsetWords << 4);
        }

        return segment;
    }
}
