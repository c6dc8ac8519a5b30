namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// The pairs every behaviour runs against, A first (A initiates). wireguard-go with itself proves the
/// harness; the mixed pairs in both orders prove interop whichever side starts; ours with ours last.
/// </summary>
public static class Pairs
{
    public static TheoryData<PeerKind, PeerKind> All => new()
    {
        { PeerKind.WireGuardGo, PeerKind.WireGuardGo },
        { PeerKind.WireGuardGo, PeerKind.Meshports },
        { PeerKind.Meshports, PeerKind.WireGuardGo },
        { PeerKind.Meshports, PeerKind.Meshports },
    };

    /// <summary>
    /// Ours without offloads against ours with them and against wireguard-go, each side starting: the
    /// plain data path keeps working and interoperates. (<see cref="All"/> runs ours with offloads.)
    /// </summary>
    public static TheoryData<PeerKind, PeerKind> OffloadsOff => new()
    {
        { PeerKind.MeshportsNoOffload, PeerKind.Meshports },
        { PeerKind.Meshports, PeerKind.MeshportsNoOffload },
        { PeerKind.MeshportsNoOffload, PeerKind.WireGuardGo },
        { PeerKind.WireGuardGo, PeerKind.MeshportsNoOffload },
    };
}
