namespace MeshPorts.Node.Packets;

/// <summary>IP protocol numbers and TCP flag bits the packet code needs (IANA protocol numbers, RFC 9293).</summary>
internal static class IpProtocol
{
    public const byte Icmp = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Icmpv6 = 58;

    public const byte TcpFin = 0x01;
    public const byte TcpSyn = 0x02;
    public const byte TcpRst = 0x04;
    public const byte TcpPsh = 0x08;
    public const byte TcpAck = 0x10;
    public const byte TcpUrg = 0x20;
    public const byte TcpEce = 0x40;
    public const byte TcpCwr = 0x80;
}
