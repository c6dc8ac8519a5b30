using System.Globalization;

namespace MeshPorts.Coordinator.Storage;

/// <summary>
/// The signed head as every store keeps it, in the settings table under <see cref="Key"/> (so no migration was
/// needed and old databases open unchanged): "SEQ HASH TIME SIGNATURE_BASE64". It is only as trustworthy as its
/// signature, which is checked on load.
/// </summary>
internal static class AuditHeadText
{
    public const string Key = "audit.head";

    public static string Format(AuditHeadRecord head)
    {
        ArgumentNullException.ThrowIfNull(head);
        return string.Create(CultureInfo.InvariantCulture, $"{head.Seq} {head.Hash} {head.Time} {Convert.ToBase64String(head.Signature)}");
    }

    /// <summary>A row someone mangled reads as "no head": the caller then finds the chain not covered by a signed head.</summary>
    public static AuditHeadRecord? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(' ');
        if (parts.Length != 4
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            || !long.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var time))
        {
            return null;
        }

        var signature = new byte[64];
        return Convert.TryFromBase64String(parts[3], signature, out var written) && written == signature.Length
            ? new AuditHeadRecord(seq, parts[1], time, signature)
            : null;
    }
}
