using System.Text.Json;
using System.Text.Json.Serialization;

namespace MeshPorts.Ctl.Api;

/// <summary>One entry of the hash-chained audit log.</summary>
internal sealed record AuditEventView
{
    public ulong Seq { get; init; }

    public DateTimeOffset Time { get; init; }

    public required string Kind { get; init; }

    public string? Actor { get; init; }

    public string? Subject { get; init; }

    public string? Outcome { get; init; }

    /// <summary>The event's details as a JSON object (embedded, not a string, so jq can reach into it).</summary>
    public JsonElement? Details { get; init; }

    public string? PrevHash { get; init; }

    public string? Hash { get; init; }

    /// <summary>details_json exactly as the server sent it: the bytes the chain hashes (not printed; <see cref="Details"/> is).</summary>
    [JsonIgnore]
    public string DetailsJson { get; init; } = "";
}
