using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MeshPorts.Ctl.Parsing;

namespace MeshPorts.Ctl.Output;

/// <summary>
/// Writes times as RFC 3339 UTC with 'Z' (PRODUCT.md), not .NET's default "+00:00". Machine output
/// keeps milliseconds when there are any: a grant ends at its millisecond, and scripts that measure
/// enforcement against expiresAt need it.
/// </summary>
internal sealed class UtcTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var utc = value.ToUniversalTime();
        writer.WriteStringValue(utc.Millisecond == 0
            ? TimeParser.Format(utc)
            : utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
    }
}
