namespace MeshPorts.Relay;

/// <summary>Why the relay dropped a frame or datagram (docs/nat.md, Counters).</summary>
public enum RelayDropReason
{
    BadTag,
    Replay,
    UnknownSession,
    NotAllowed,
    RateLimited,
    NoDestination,
    Malformed,
}
