using MeshPorts.Coordinator.Audit;

namespace MeshPorts.Coordinator.Hosting;

/// <summary>
/// DATA/audit-signing.key: base64 of the 32-byte Ed25519 seed that signs audit heads, one line, mode 0600.
/// Created on first start; kept out of the database so a database backup or a SQL write cannot forge heads.
/// </summary>
internal static class AuditSigningKeyFile
{
    public const string FileName = "audit-signing.key";

    public static AuditHeadSigner LoadOrCreate(string dataDir, out bool created) =>
        new(SigningSeedFile.LoadOrCreate(Path.Combine(dataDir, FileName),
            "restore it from a backup (a new key makes meshctl reject every earlier head)", out created));
}
