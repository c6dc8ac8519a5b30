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

    public static Key LoadOrCreate(string dataDir, out bool created) =>
        SigningSeedFile.LoadOrCreate(Path.Combine(dataDir, FileName),
            "delete it to make a new one (then give the new relay ticket key to every meshports-relay)", out created);

    /// <summary>The public half as printed and as --ticket-key takes it: base64 of 32 bytes.</summary>
    public static string PublicKeyText(Key key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }
}
