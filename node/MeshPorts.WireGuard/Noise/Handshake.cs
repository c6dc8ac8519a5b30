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

    /// <summary>Bytes <see cref="SaveInitiation"/> needs: chaining key, hash and our ephemeral private key.</summary>
    public const int SavedInitiationSize = 96;

    /// <summary>
    /// Copies our in-flight initiation out, so answering the peer's crossing initiation (which reuses this
    /// state) does not cost us our own: <see cref="RestoreInitiation"/> puts it back for the response.
    /// </summary>
    public void SaveInitiation(Span<byte> saved)
    {
        ChainingKey.CopyTo(saved);
        Hash.CopyTo(saved[32..]);
        LocalEphemeralPrivate.CopyTo(saved[64..]);
    }

    public void RestoreInitiation(ReadOnlySpan<byte> saved, uint localIndex)
    {
        ClearExchange();
        saved[..32].CopyTo(ChainingKey);
        saved[32..64].CopyTo(Hash);
        saved[64..96].CopyTo(LocalEphemeralPrivate);
        LocalIndex = localIndex;
        State = HandshakeState.InitiationCreated;
    }

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
