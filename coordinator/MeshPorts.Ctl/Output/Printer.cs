using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MeshPorts.Ctl.Parsing;

namespace MeshPorts.Ctl.Output;

/// <summary>Shared formatting for the human and JSON outputs.</summary>
internal static class Printer
{
    private static readonly CtlJsonContext s_compact = new(new JsonSerializerOptions(CtlJsonContext.Default.Options) { WriteIndented = false });

    public static Task WriteJsonAsync<T>(TextWriter output, T value, JsonTypeInfo<T> type)
    {
        ArgumentNullException.ThrowIfNull(output);
        return output.WriteLineAsync(JsonSerializer.Serialize(value, type));
    }

    /// <summary>One JSON object per line, for streams (<c>audit --follow --json</c>) that never end in a closing bracket.</summary>
    public static Task WriteJsonLineAsync<T>(TextWriter output, T value, Func<CtlJsonContext, JsonTypeInfo<T>> type)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(type);
        return output.WriteLineAsync(JsonSerializer.Serialize(value, type(s_compact)));
    }

    public static string Time(DateTimeOffset? time) => time is { } t ? TimeParser.Format(t) : "-";

    public static string List(IReadOnlyList<string> items) => items.Count == 0 ? "-" : string.Join(",", items);
}
