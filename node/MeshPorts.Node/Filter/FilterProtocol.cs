namespace MeshPorts.Node.Filter;

/// <summary>The transport a rule opens. The values are the IANA protocol numbers; ICMP covers ICMPv6 too.</summary>
internal enum FilterProtocol : byte
{
    Icmp = 1,
    Tcp = 6,
    Udp = 17,
}
