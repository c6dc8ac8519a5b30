using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Paths;

/// <summary>One underlay address a peer might be reached at, and what probing it has shown. Under the path manager's lock.</summary>
internal sealed class CandidateState(PeerEndpoint endpoint, CandidateSource source, TimeSpan addedAt)
{
    public PeerEndpoint Endpoint { get; } = endpoint;

    public CandidateSource Source { get; set; } = source;

    public TimeSpan AddedAt { get; } = addedAt;

    public TimeSpan NextPingAt { get; set; } = addedAt;

    /// <summary>When the last authenticated pong from this address arrived; null before the first.</summary>
    public TimeSpan? LastPong { get; set; }

    public TimeSpan? RoundTrip { get; set; }

    public bool IsAlive(TimeSpan now, TimeSpan aliveFor) => LastPong is { } last && now - last < aliveFor;
}
