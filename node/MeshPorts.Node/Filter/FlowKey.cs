namespace MeshPorts.Node.Filter;

/// <summary>
/// A flow seen from this node: local and remote address and port, so a packet and its reply map to
/// the same key whichever direction it travels.
/// </summary>
internal readonly struct FlowKey : IEquatable<FlowKey>
{
    public FlowKey(bool isIPv6, byte protocol, UInt128 local, ushort localPort, UInt128 remote, ushort remotePort)
    {
        IsIPv6 = isIPv6;
        Protocol = protocol;
        Local = local;
        LocalPort = localPort;
        Remote = remote;
        RemotePort = remotePort;
    }

    public bool IsIPv6 { get; }

    public byte Protocol { get; }

    public UInt128 Local { get; }

    public ushort LocalPort { get; }

    public UInt128 Remote { get; }

    public ushort RemotePort { get; }

    /// <summary>A packet arriving from a peer: the remote end is its source.</summary>
    public static FlowKey Inbound(in ParsedPacket p) =>
        new(p.IsIPv6, p.Protocol, p.Destination, p.DestinationPort, p.Source, p.SourcePort);

    /// <summary>A packet leaving towards a peer: the local end is its source.</summary>
    public static FlowKey Outbound(in ParsedPacket p) =>
        new(p.IsIPv6, p.Protocol, p.Source, p.SourcePort, p.Destination, p.DestinationPort);

    /// <summary>An ICMP error arriving from a peer quotes a packet this node sent: the quoted source is local.</summary>
    public static FlowKey QuotedInInbound(in ParsedPacket p) =>
        new(p.IsIPv6, p.EmbeddedProtocol, p.EmbeddedSource, p.EmbeddedSourcePort, p.EmbeddedDestination, p.EmbeddedDestinationPort);

    public bool Equals(FlowKey other) =>
        Local == other.Local && Remote == other.Remote && LocalPort == other.LocalPort && RemotePort == other.RemotePort &&
        Protocol == other.Protocol && IsIPv6 == other.IsIPv6;

    public override bool Equals(object? obj) => obj is FlowKey other && Equals(other);

    // HashCode is seeded per process, so a peer cannot aim many flows at one bucket.
    public override int GetHashCode() => HashCode.Combine(Local, Remote, LocalPort, RemotePort, Protocol, IsIPv6);

    public static bool operator ==(FlowKey left, FlowKey right) => left.Equals(right);

    public static bool operator !=(FlowKey left, FlowKey right) => !left.Equals(right);
}
