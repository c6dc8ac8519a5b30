using System.Globalization;
using MeshPorts.Contracts.Grammar;

namespace MeshPorts.Coordinator.Storage;

/// <summary>
/// Flattens the small lists in records into text columns, the same way on every store. Names, tags and endpoints
/// never contain spaces (State validates them), so a space-separated list is unambiguous. Subjects and protocols
/// are kept as their canonical text and parsed here, once, when a row is read; a row that does not parse is a
/// corrupt database, not something to guess about.
/// </summary>
internal static class ColumnText
{
    public static string JoinList(IEnumerable<string> items) => string.Join(' ', items);

    public static IReadOnlyList<string> SplitList(string text) =>
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public static string JoinServices(IEnumerable<ServiceRecord> services) =>
        string.Join(' ', services.Select(s => FormattableString.Invariant($"{s.Port}/{s.Protocol.ToText()}/{Uri.EscapeDataString(s.Name)}")));

    public static IReadOnlyList<ServiceRecord> SplitServices(string text) =>
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(item => item.Split('/'))
            .Select(p => new ServiceRecord(int.Parse(p[0], CultureInfo.InvariantCulture), ParseProtocol(p[1]), Uri.UnescapeDataString(p[2])))
            .ToArray();

    public static Subject ParseSubject(string text) =>
        Subject.TryParse(text, out var subject, out var error)
            ? subject
            : throw new InvalidDataException($"stored subject '{text}' does not parse: {error}");

    public static PortProtocol ParseProtocol(string text) =>
        PortProtocols.TryParse(text, out var protocol) ? protocol : throw new InvalidDataException($"stored protocol '{text}' is not tcp or udp");
}
