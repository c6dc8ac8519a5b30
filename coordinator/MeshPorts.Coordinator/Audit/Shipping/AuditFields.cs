using System.Globalization;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.Audit.Shipping;

/// <summary>
/// What every sink ships of an event: the stored row's fields, the same as a line of audit.jsonl (details never
/// hold secrets, <see cref="AuditLog.Event"/>). Names are snake_case; each sink spells them its own way.
/// </summary>
internal static class AuditFields
{
    public const string Identifier = "meshports-coordinator";

    public static IReadOnlyList<(string Name, string Value)> Of(AuditRecord record) =>
    [
        ("seq", record.Seq.ToString(CultureInfo.InvariantCulture)),
        ("time", TimeText(record)),
        ("kind", record.Kind),
        ("actor", record.Actor),
        ("subject", record.Subject),
        ("outcome", record.Outcome),
        ("details", record.Details),
        ("prev_hash", record.PrevHash),
        ("hash", record.Hash),
    ];

    /// <summary>RFC 3339 UTC with milliseconds, as audit.jsonl writes it.</summary>
    public static string TimeText(AuditRecord record) =>
        DateTimeOffset.FromUnixTimeMilliseconds(record.Time).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    /// <summary>The one line a person reads.</summary>
    public static string Message(AuditRecord record) =>
        FormattableString.Invariant($"audit {record.Seq} {record.Kind} actor={record.Actor} subject={record.Subject} outcome={record.Outcome}");

    /// <summary>Syslog severity (RFC 5424 6.2.1): informational for "ok", warning for a refusal or failure.</summary>
    public static int Severity(AuditRecord record) => string.Equals(record.Outcome, "ok", StringComparison.Ordinal) ? 6 : 4;

    /// <summary>Facility authpriv (10): who did what to whom belongs with the host's other security messages.</summary>
    public const int Facility = 10;
}
