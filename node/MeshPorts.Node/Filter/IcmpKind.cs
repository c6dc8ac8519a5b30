namespace MeshPorts.Node.Filter;

/// <summary>The ICMP/ICMPv6 message classes the filter treats differently.</summary>
internal enum IcmpKind : byte
{
    None,
    EchoRequest,
    EchoReply,

    /// <summary>An error quoting a packet of some flow; it is allowed when that flow is.</summary>
    Error,
    Other,
}
