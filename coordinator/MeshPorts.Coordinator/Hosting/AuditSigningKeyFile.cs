using System.Security.Cryptography;
using MeshPorts.Coordinator.Audit;
using NSec.Cryptography;

namespace MeshPorts.Coordinator.Hosting;

/// <summary>
/// DATA/audit-signing.key: base64 of the 32-byte Ed25519 seed that signs audit heads, one line, mode 0600.
/// Created on first start; kept out of the database so a database backup or a SQL write cannot forge heads.
/// </summary>
internal static class AuditSigningKeyFile
{
    public const string FileName = "audit-signing.key";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static AuditHeadSigner LoadOrCreate(string dataDir, out bool created)
    {
        var path = Path.Combine(dataDir, FileName);
        byte[] seed;
        if (File.Exists(path))
        {
            created = false;
            if (!OperatingSystem.IsWindows())
            {
                // A key readable by others lets them sign a rewritten log; tighten it as audit.jsonl is.
                File.SetUnixFileMode(path, OwnerOnly);
            }

            seed = new byte[32];
            if (!Convert.TryFromBase64String(File.ReadAllText(path).Trim(), seed, out var written) || written != seed.Length)
            {
                throw new InvalidOperationException(
                    $"{path} is not base64 of a 32-byte Ed25519 seed; restore it from a backup (a new key makes meshctl reject every earlier head)");
            }
        }
        else
        {
            created = true;
            seed = RandomNumberGenerator.GetBytes(32);

            // Written to a 0600 temp file and renamed, so the key is never readable by others nor ever half-written.
            var temp = path + ".tmp";
            TlsMaterial.WriteFile(temp, Convert.ToBase64String(seed) + "\n", OwnerOnly);
            File.Move(temp, path, overwrite: false);
        }

        try
        {
            return new AuditHeadSigner(Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }
}
