using System.Text.Json;
using System.Text.Json.Serialization;

namespace MeshPorts.Contracts.Time;

/// <summary>JSON times as <see cref="UtcTime.FormatPrecise"/>, shared by meshctl's and the node's --json.</summary>
public sealed class UtcTimeJsonConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        UtcTime.Parse(reader.GetString()!);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(UtcTime.FormatPrecise(value));
    }
}
