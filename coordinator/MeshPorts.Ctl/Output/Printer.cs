using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MeshPorts.Ctl.Parsing;

namespace MeshPorts.Ctl.Output;

/// <summary>Shared formatting for the human and JSON outputs.</summary>
internal static class Printer
{
    // Relaxed escaping keeps "->" and "+" readable; the output is a terminal or a pipe, never HTML.
    private static readonly CtlJsonContext s_indented = new(new JsonSerializerOptions(CtlJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private static readonly CtlJsonContext s_compact = new(new JsonSerializerOptions(CtlJsonContext.Default.Options)
    {
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>Pretty JSON; <paramref name="type"/> picks the shape from the generated context.</summary>
    public static Task WriteJsonAsync<T>(TextWriter output, T value, Func<CtlJsonContext, JsonTypeInfo<T>> type)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(type);
        return output.WriteLineAsync(JsonSerializer.Serialize(value, type(s_indented)));
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
