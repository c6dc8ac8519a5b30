using MeshPorts.Contracts.Transport;
using System.Security.Cryptography;
using NSec.Cryptography;

namespace MeshPorts.Coordinator.Hosting;

/// <summary>
/// One Ed25519 signing key kept outside the database: a file in the data dir holding base64 of the
/// 32-byte seed, one line, mode 0600, created on first start (written to a 0600 temp file and renamed,
/// so it is never readable by others nor half-written) and tightened to 0600 on every later one.
/// </summary>
internal static class SigningSeedFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <param name="fix">What to do when the file does not hold a seed, said after the path.</param>
    public static Key LoadOrCreate(string path, string fix, out bool created)
    {
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
                    throw new InvalidOperationException($"{path} is not base64 of a 32-byte Ed25519 seed; {fix}");
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
}
