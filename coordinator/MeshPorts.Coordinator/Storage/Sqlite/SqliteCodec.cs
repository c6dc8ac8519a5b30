using System.Globalization;
using Microsoft.Data.Sqlite;

namespace MeshPorts.Coordinator.Storage.Sqlite;

/// <summary>
/// Flattens the small lists in records into text columns. Names, tags and endpoints never contain
/// spaces (State validates them), so a space-separated list is unambiguous.
/// </summary>
internal static class SqliteCodec
{
    public static string JoinList(IEnumerable<string> items) => string.Join(' ', items);

    public static IReadOnlyList<string> SplitList(string text) =>
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public static string JoinServices(IEnumerable<ServiceRecord> services) =>
        string.Join(' ', services.Select(s => FormattableString.Invariant($"{s.Port}/{s.Protocol}/{Uri.EscapeDataString(s.Name)}")));

    public static IReadOnlyList<ServiceRecord> SplitServices(string text) =>
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(item => item.Split('/'))
            .Select(p => new ServiceRecord(int.Parse(p[0], CultureInfo.InvariantCulture), p[1], Uri.UnescapeDataString(p[2])))
            .ToArray();

    public static byte[]? BytesOrNull(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : (byte[])reader.GetValue(ordinal);
}
