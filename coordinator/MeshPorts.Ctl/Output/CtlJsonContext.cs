using System.Text.Json.Serialization;
using MeshPorts.Contracts.Time;
using MeshPorts.Ctl.Api;

namespace MeshPorts.Ctl.Output;

/// <summary>Source-generated JSON for every --json shape, so meshctl needs no reflection (trim/AOT friendly).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    Converters = [typeof(UtcTimeJsonConverter)])]
[JsonSerializable(typeof(TokenView))]
[JsonSerializable(typeof(IReadOnlyList<TokenView>))]
[JsonSerializable(typeof(NodeView))]
[JsonSerializable(typeof(IReadOnlyList<NodeView>))]
[JsonSerializable(typeof(GrantView))]
[JsonSerializable(typeof(IReadOnlyList<GrantView>))]
[JsonSerializable(typeof(RotateView))]
[JsonSerializable(typeof(PolicyView))]
[JsonSerializable(typeof(PolicyResultView))]
[JsonSerializable(typeof(AccessView))]
[JsonSerializable(typeof(AuditEventView))]
[JsonSerializable(typeof(AuditVerifyView))]
[JsonSerializable(typeof(string))]
internal sealed partial class CtlJsonContext : JsonSerializerContext
{
}
