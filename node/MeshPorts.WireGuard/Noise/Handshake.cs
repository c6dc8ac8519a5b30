using System.Security.Cryptography;

namespace MeshPorts.WireGuard.Noise;

/// <summary>
/// A peer's Noise IKpsk2 state between messages, plus what outlives a handshake: the precomputed
/// static-static DH, the preshared key and the newest accepted initiation timestamp. Guarded by the
/// owning peer's lock.
/// </summary>
internal sealed class Handshake
{
    public HandshakeState State { get; set; }

    public byte[] ChainingKey { get; } = new byte[32];

    public byte[] Hash { get; } = new byte[32];

    public byte[] LocalEphemeralPrivate { get; } = new byte[32];

    public byte[] RemoteEphemeral { get; } = new byte[32];

    public byte[] PrecomputedStaticStatic { get; } = new byte[32];

    /// <summary>The peer's static public key, used by the responder's se DH.</summary>
    public byte[] RemoteStaticForResponse { get; } = new byte[32];

    public bool HasStaticStatic { get; set; }

    public byte[] PresharedKey { get; } = new byte[32];

    public byte[] LastTimestamp { get; } = new byte[12];

    public long LastInitiationConsumed { get; set; } = long.MinValue / 2;

    public uint LocalIndex { get; set; }

    public uint RemoteIndex { get; set; }

    /// <summary>Forgets the in-flight exchange (not the peer's long-term values).</summary>
    public void ClearExchange()
    {
        CryptographicOperations.ZeroMemory(ChainingKey);
        CryptographicOperations.ZeroMemory(Hash);
        CryptographicOperations.ZeroMemory(LocalEphemeralPrivate);
        CryptographicOperations.ZeroMemory(RemoteEphemeral);
        State = HandshakeState.None;
        LocalIndex = 0;
        RemoteIndex = 0;
    }

    public void ClearAll()
    {
        ClearExchange();
        CryptographicOperations.ZeroMemory(PrecomputedStaticStatic);
        CryptographicOperations.ZeroMemory(PresharedKey);
        HasStaticStatic = false;
    }
}
