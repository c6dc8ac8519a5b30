namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// A throwaway Curve25519 key pair from `wg genkey`/`wg pubkey`, so the keys come from the reference
/// tool and not from the code under test. Test-only keys: plain base64 strings are fine here.
/// </summary>
internal sealed record WgKeyPair(string PrivateKey, string PublicKey)
{
    public static async Task<WgKeyPair> GenerateAsync(CancellationToken ct)
    {
        var privateKey = (await Command.RunCheckedAsync(["wg", "genkey"], ct)).Trim();
        var publicKey = (await Command.RunCheckedAsync(["wg", "pubkey"], ct, stdin: privateKey + "\n")).Trim();
        return new WgKeyPair(privateKey, publicKey);
    }

    // Keep the private half out of test output.
    public override string ToString() => $"WgKeyPair {{ PublicKey = {PublicKey} }}";
}
