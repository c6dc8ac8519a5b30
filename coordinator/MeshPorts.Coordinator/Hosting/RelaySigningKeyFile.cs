using System.Security.Cryptography;
using NSec.Cryptography;

namespace MeshPorts.Coordinator.Hosting;

/// <summary>
/// DATA/relay-signing.key: base64 of the 32-byte Ed25519 seed that signs relay tickets, one line, mode
/// 0600. Created on first start. Its public half (printed as "relay ticket key") is what a standalone
/// meshports-relay is given with --ticket-key; a replica started on a copy of the data dir signs alike.
/// </summary>
internal static class RelaySigningKeyFile
{
    public const string FileName = "relay-signing.key";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static Key LoadOrCreate(string dataDir, out bool created)
    {
        var path = Path.Combine(dataDir, FileName);
        var seed = new byte[32];
        try
        {
            if (File.Exists(path))
            {
                created = false;
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, OwnerOnly);
                }

                if (!Convert.TryFromBase64String(File.ReadAllText(path).Trim(), seed, out var written) || written != seed.Length)
                {
                    throw new InvalidOperationException(
                        $"{path} is not base64 of a 32-byte Ed25519 seed; delete it to make a new one (then give the new relay ticket key to every meshports-relay)");
                }
            }
            else
            {
                created = true;
                RandomNumberGenerator.Fill(seed);
                var temp = path + ".tmp";
                TlsMaterial.WriteFile(temp, Convert.ToBase64String(seed) + "\n", OwnerOnly);
                File.Move(temp, path, overwrite: false);
            }

            return Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>The public half as printed and as --ticket-key takes it: base64 of 32 bytes.</summary>
    public static string PublicKeyText(Key key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }
}
