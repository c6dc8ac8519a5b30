using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MeshPorts.Ctl.Parsing;

namespace MeshPorts.Ctl.Output;

/// <summary>Writes times as RFC 3339 UTC with 'Z' (PRODUCT.md), not .NET's default "+00:00".</summary>
internal sealed class UtcTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(TimeParser.Format(value));
    }
}
