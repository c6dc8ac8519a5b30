using System.Security.Cryptography;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Paths;

/// <summary>
/// The probe key of one (own key, peer key) pair, computed once when the peer or the own key changes,
/// never per packet. Pinned, wiped on <see cref="Dispose"/>.
/// </summary>
internal sealed class ProbeKey : IDisposable
{
    private readonly byte[] _bytes = GC.AllocateArray<byte>(ProbeCodec.KeySize, pinned: true);

    private ProbeKey(in WgKey ownPublic, in WgKey peerPublic)
    {
        OwnPublic = ownPublic;
        PeerPublic = peerPublic;
    }

    /// <summary>The own public key a probe under this key carries (or is addressed to).</summary>
    public WgKey OwnPublic { get; }

    public WgKey PeerPublic { get; }

    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>Null for a low-order peer key.</summary>
    public static ProbeKey? TryCreate(in WgKey ownPrivate, in WgKey ownPublic, in WgKey peerPublic)
    {
        var key = new ProbeKey(ownPublic, peerPublic);
        if (ProbeCodec.TryDeriveKey(ownPrivate, peerPublic, key._bytes))
        {
            return key;
        }

        key.Dispose();
        return null;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_bytes);
}
