using Google.Protobuf;

namespace MeshPorts.Coordinator.Tests.AuditShipping;

/// <summary>One export as the collector got it, its body decoded by the field numbers of the OTLP .proto files.</summary>
internal sealed record OtlpRequest(string Method, string Path, string ContentType, Dictionary<string, string> Headers, List<OtlpLogRecord> Records)
{
    public static List<OtlpLogRecord> Decode(byte[] body)
    {
        var records = new List<OtlpLogRecord>();
        foreach (var resourceLogs in Fields(body).Where(f => f.Number == 1))
        {
            var fields = Fields(resourceLogs.Bytes!);
            var resource = fields.Where(f => f.Number == 1).SelectMany(r => Fields(r.Bytes!).Where(a => a.Number == 1)).Select(KeyValue)
                .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            foreach (var scopeLogs in fields.Where(f => f.Number == 2))
            {
                foreach (var log in Fields(scopeLogs.Bytes!).Where(f => f.Number == 2))
                {
                    var l = Fields(log.Bytes!);
                    records.Add(new OtlpLogRecord(
                        l.FirstOrDefault(f => f.Number == 1).Value,
                        (int)l.FirstOrDefault(f => f.Number == 2).Value,
                        l.FirstOrDefault(f => f.Number == 5).Bytes is { } b ? (string)AnyValue(b) : "",
                        l.Where(f => f.Number == 6).Select(KeyValue).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
                        resource));
                }
            }
        }

        return records;
    }

    private static KeyValuePair<string, object> KeyValue((int Number, ulong Value, byte[]? Bytes) field)
    {
        var kv = Fields(field.Bytes!);
        return new(System.Text.Encoding.UTF8.GetString(kv.Single(f => f.Number == 1).Bytes!), AnyValue(kv.Single(f => f.Number == 2).Bytes!));
    }

    // AnyValue: 1 string_value, 2 bool_value, 3 int_value, 4 double_value.
    private static object AnyValue(byte[] bytes)
    {
        var f = Fields(bytes).Single();
        return f.Number switch
        {
            1 => System.Text.Encoding.UTF8.GetString(f.Bytes!),
            2 => f.Value != 0,
            3 => (long)f.Value,
            4 => BitConverter.Int64BitsToDouble((long)f.Value),
            _ => throw new InvalidDataException($"AnyValue field {f.Number} is not expected here"),
        };
    }

    private static List<(int Number, ulong Value, byte[]? Bytes)> Fields(byte[] message)
    {
        var input = new CodedInputStream(message);
        var fields = new List<(int, ulong, byte[]?)>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var number = WireFormat.GetTagFieldNumber(tag);
            fields.Add(WireFormat.GetTagWireType(tag) switch
            {
                WireFormat.WireType.Varint => (number, input.ReadUInt64(), null),
                WireFormat.WireType.Fixed64 => (number, input.ReadFixed64(), null),
                WireFormat.WireType.Fixed32 => (number, input.ReadFixed32(), null),
                WireFormat.WireType.LengthDelimited => (number, 0, input.ReadBytes().ToByteArray()),
                var other => throw new InvalidDataException($"wire type {other} in field {number}"),
            });
        }

        return fields;
    }
}
