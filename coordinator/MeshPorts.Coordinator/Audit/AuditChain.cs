using System.Security.Cryptography;
using System.Text.Json;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.Audit;

/// <summary>
/// The hash chain: hash(n) = SHA-256(bytes of hash(n-1) || canonical(n)), hash(0) = 32 zero bytes.
/// The canonical form is a compact JSON array of the fields in a fixed order, so it does not depend
/// on how any store or shipper orders object keys.
/// </summary>
internal static class AuditChain
{
    public static readonly string Genesis = new('0', 64);

    public static byte[] Canonical(AuditRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteNumberValue(r.Seq);
            writer.WriteNumberValue(r.Time);
            writer.WriteStringValue(r.Kind);
            writer.WriteStringValue(r.Actor);
            writer.WriteStringValue(r.Subject);
            writer.WriteStringValue(r.Outcome);
            writer.WriteStringValue(r.Details);
            writer.WriteEndArray();
        }

        return buffer.ToArray();
    }

    public static string ComputeHash(string prevHash, AuditRecord r)
    {
        var prev = Convert.FromHexString(prevHash);
        var canonical = Canonical(r);
        var input = new byte[prev.Length + canonical.Length];
        prev.CopyTo(input, 0);
        canonical.CopyTo(input, prev.Length);
        return Convert.ToHexStringLower(SHA256.HashData(input));
    }
}
