using MeshPorts.Contracts.Audit;
using MeshPorts.Coordinator.Storage;
using NSec.Cryptography;

namespace MeshPorts.Coordinator.Audit;

/// <summary>
/// Signs the chain's head with the coordinator's Ed25519 audit key. The key lives outside the database, so
/// whoever can write the database can still rewrite rows and recompute hashes, but not sign the result.
/// </summary>
internal sealed class AuditHeadSigner : IDisposable
{
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    private readonly Key _key;

    public AuditHeadSigner(Key key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        PublicKeyText = AuditHeadSignature.FormatKey(PublicKey);
    }

    public byte[] PublicKey { get; }

    /// <summary>"ed25519:&lt;base64&gt;", as in meshctl.conf's audit_key line.</summary>
    public string PublicKeyText { get; }

    public AuditHeadRecord Sign(long seq, string hash, long timeMs) =>
        new(seq, hash, timeMs, Algorithm.Sign(_key, AuditHeadSignature.Bytes(seq, Convert.FromHexString(hash), timeMs)));

    public bool Verifies(AuditHeadRecord head)
    {
        ArgumentNullException.ThrowIfNull(head);
        byte[] hash;
        try
        {
            hash = Convert.FromHexString(head.Hash);
        }
        catch (FormatException)
        {
            return false;
        }

        return hash.Length == AuditHashChain.HashSize
            && Algorithm.Verify(_key.PublicKey, AuditHeadSignature.Bytes(head.Seq, hash, head.Time), head.Signature);
    }

    public void Dispose() => _key.Dispose();
}
