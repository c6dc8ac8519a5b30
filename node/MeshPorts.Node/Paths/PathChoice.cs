using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Paths;

/// <summary>Where one peer's datagrams go.</summary>
/// <param name="Verified">Direct only: the endpoint answered an authenticated pong (false for the netmap's first candidate used without a relay).</param>
internal readonly record struct PathChoice(PathKind Kind, PeerEndpoint Endpoint, bool Verified)
{
    public static PathChoice None => default;

    public static PathChoice Relay => new(PathKind.Relay, default, false);

    public static PathChoice Direct(in PeerEndpoint endpoint, bool verified) => new(PathKind.Direct, endpoint, verified);
}
