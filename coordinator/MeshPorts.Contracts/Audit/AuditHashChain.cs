using System.Security.Cryptography;
using System.Text.Json;

namespace MeshPorts.Contracts.Audit;

/// <summary>
/// The audit hash chain, shared so meshctl recomputes exactly what the coordinator stored:
/// hash(n) = SHA-256(bytes of hash(n-1) || canonical(n)), hash(0) = 32 zero bytes. The canonical form is a
/// compact JSON array of the fields in a fixed order, so it does not depend on how any store or shipper
/// orders object keys. Hashes are lowercase hex. This is a stored format: never change it.
/// </summary>
public static class AuditHashChain
{
    public const int HashSize = 32;

    public static readonly string Genesis = new('0', HashSize * 2);

    public static byte[] Canonical(long seq, long timeMs, string kind, string actor, string subject, string outcome, string details)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteNumberValue(seq);
            writer.WriteNumberValue(timeMs);
            writer.WriteStringValue(kind);
            writer.WriteStringValue(actor);
            writer.WriteStringValue(subject);
            writer.WriteStringValue(outcome);
            writer.WriteStringValue(details);
            writer.WriteEndArray();
        }

        return buffer.ToArray();
    }

    /// <summary>The hash of one event given its predecessor's; throws FormatException when <paramref name="prevHash"/> is not hex.</summary>
    public static string Compute(string prevHash, long seq, long timeMs, string kind, string actor, string subject, string outcome, string details)
    {
        ArgumentNullException.ThrowIfNull(prevHash);
        var prev = Convert.FromHexString(prevHash);
        var canonical = Canonical(seq, timeMs, kind, actor, subject, outcome, details);
        var input = new byte[prev.Length + canonical.Length];
        prev.CopyTo(input, 0);
        canonical.CopyTo(input, prev.Length);
        return Convert.ToHexStringLower(SHA256.HashData(input));
    }
}
