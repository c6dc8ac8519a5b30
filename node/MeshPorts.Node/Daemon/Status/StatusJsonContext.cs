using System.Text.Json.Serialization;

namespace MeshPorts.Node.Daemon.Status;

/// <summary>Source-generated JSON (the node is published NativeAOT: no reflection).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(NodeStatusDocument))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;
