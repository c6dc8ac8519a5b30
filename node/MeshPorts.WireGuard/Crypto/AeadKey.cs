using System.Security.Cryptography;

namespace MeshPorts.WireGuard.Crypto;

/// <summary>
/// A ChaCha20-Poly1305 key kept for a session's lifetime (a transport keypair's send or receive key).
/// The bytes sit in an array on the pinned object heap, so the GC never moves them and leaves no stale
/// copy behind; <see cref="Dispose"/> wipes them, and any later use throws rather than silently
/// sealing under an all-zero key. Unlike NSec's keys it is not mlock'ed, like the handshake state that
/// derives it.
/// </summary>
internal sealed class AeadKey : IDisposable
{
    private readonly byte[] _bytes = GC.AllocateArray<byte>(Aead.KeySize, pinned: true);
    private volatile bool _disposed;

    public AeadKey(ReadOnlySpan<byte> rawKey)
    {
        if (rawKey.Length != Aead.KeySize)
        {
            throw new ArgumentException($"A ChaCha20-Poly1305 key is {Aead.KeySize} bytes, not {rawKey.Length}.", nameof(rawKey));
        }

        rawKey.CopyTo(_bytes);
    }

    /// <summary>The key's bytes, for <see cref="Aead"/> only; throws once disposed.</summary>
    internal ReadOnlySpan<byte> Bytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_bytes);
    }
}
