namespace MeshPorts.WireGuard.Sessions;

/// <summary>What a receiver index points at: a peer's in-flight handshake (Keypair null) or a keypair.</summary>
internal readonly record struct IndexEntry(Peer Peer, Keypair? Keypair);
