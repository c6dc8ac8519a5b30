using System.Text.Json.Serialization;
using MeshPorts.Contracts.Time;

namespace MeshPorts.Node.LocalControl.Status;

/// <summary>Source-generated JSON (the node is published NativeAOT: no reflection); times as meshctl writes them.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    Converters = [typeof(UtcTimeJsonConverter)])]
[JsonSerializable(typeof(NodeStatusDocument))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;
