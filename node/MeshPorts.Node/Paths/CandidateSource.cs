namespace MeshPorts.Node.Paths;

internal enum CandidateSource
{
    /// <summary>The netmap's Peer.endpoints.</summary>
    Netmap,

    /// <summary>A call_me event's endpoints.</summary>
    CallMe,

    /// <summary>Peer-reflexive: the source of an authenticated probe from the peer.</summary>
    Learned,
}
