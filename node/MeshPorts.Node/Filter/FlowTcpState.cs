namespace MeshPorts.Node.Filter;

/// <summary>Coarse TCP tracking, only fine enough to pick idle timeouts (as conntrack does).</summary>
internal enum FlowTcpState : byte
{
    /// <summary>Only the opener has spoken (SYN seen, no reply yet).</summary>
    HalfOpen,
    Established,

    /// <summary>One side sent FIN.</summary>
    Closing,

    /// <summary>Both sides sent FIN, or either sent RST.</summary>
    Closed,
}
