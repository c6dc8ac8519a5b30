namespace MeshPorts.Node.Filter;

/// <summary>Why a packet was refused or a flow cut. Also the index of the per-reason counters.</summary>
internal enum FilterReason
{
    None,

    /// <summary>Truncated or inconsistent IP/TCP/UDP/ICMP headers.</summary>
    Malformed,

    /// <summary>IP fragments carry no port to judge; the overlay MTU makes them unnecessary.</summary>
    Fragment,

    /// <summary>A new inbound flow that no active rule or grant allows.</summary>
    NotAllowed,

    /// <summary>A packet that is neither the start of a flow nor part of a known one (e.g. a lone ACK).</summary>
    Unsolicited,

    /// <summary>The packet belongs to a flow another peer owns.</summary>
    PeerMismatch,

    /// <summary>The flow table is full; new flows wait for eviction.</summary>
    TableFull,

    /// <summary>A packet of a flow that was cut earlier.</summary>
    FlowCut,

    /// <summary>The rule or grant that admitted the flow passed its NotAfter.</summary>
    Expired,

    /// <summary>The rule or grant that admitted the flow was removed from the rule set.</summary>
    Revoked,

    /// <summary>An inbound packet addressed to something other than this node's overlay addresses.</summary>
    NotForThisNode,
}
