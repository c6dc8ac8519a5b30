using System.Text.Json.Serialization;

namespace MeshPorts.Node.StateDirectory;

/// <summary>Source-generated, because the node is published NativeAOT and cannot serialize by reflection.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    IgnoreReadOnlyProperties = true)]
[JsonSerializable(typeof(EnrollmentRecord))]
internal sealed partial class NodeStateJsonContext : JsonSerializerContext
{
}
