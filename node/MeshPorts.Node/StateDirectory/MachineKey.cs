using System.Security.Cryptography;
using NSec.Cryptography;

namespace MeshPorts.Node.StateDirectory;

/// <summary>
/// The node's Ed25519 identity towards the coordinator. It never changes for the life of an enrollment (the
/// WireGuard key rotates, this one does not), so it is what the coordinator recognises the machine by.
/// </summary>
internal sealed class MachineKey : IDisposable
{
    public const int SeedSize = 32;

    private readonly Key _key;
    private readonly byte[] _publicKey;

    private MachineKey(Key key)
    {
        _key = key;
        _publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>The 32-byte Ed25519 public key (node.proto's machine_public_key).</summary>
    public ReadOnlyMemory<byte> PublicKey => _publicKey;

    public static MachineKey Generate()
    {
        // Exportable, because the seed must reach machine.key once; it is never exported anywhere else.
        var exportable = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        return new MachineKey(Key.Create(SignatureAlgorithm.Ed25519, exportable));
    }

    public static MachineKey FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize)
        {
            throw new ArgumentException($"an Ed25519 seed is {SeedSize} bytes, not {seed.Length}", nameof(seed));
        }

        var exportable = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        return new MachineKey(Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey, exportable));
    }

    /// <summary>The 32-byte seed, for the state file only; the caller wipes it with ZeroMemory after writing.</summary>
    public byte[] ExportSeed() => _key.Export(KeyBlobFormat.RawPrivateKey);

    public byte[] Sign(ReadOnlySpan<byte> data) => SignatureAlgorithm.Ed25519.Sign(_key, data);

    /// <summary>Constant time: public keys are not secret, but one comparison rule for all key material is easier to audit.</summary>
    public bool HasPublicKey(ReadOnlySpan<byte> publicKey) => CryptographicOperations.FixedTimeEquals(_publicKey, publicKey);

    public void Dispose() => _key.Dispose();

    /// <summary>Never prints key material.</summary>
    public override string ToString() => "MachineKey(" + Convert.ToBase64String(_publicKey) + ")";
}
