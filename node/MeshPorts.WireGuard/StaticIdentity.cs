using MeshPorts.WireGuard.Keys;

namespace MeshPorts.WireGuard;

/// <summary>Our key pair as one immutable snapshot, so a packet never sees a private key with another key's public half.</summary>
internal sealed record StaticIdentity(WgKey PrivateKey, WgKey PublicKey);
