namespace MeshPorts.Coordinator.Storage;

/// <summary>One hash-chained audit event. Hashes are lowercase hex.</summary>
internal sealed record AuditRecord
{
    public long Seq { get; init; }

    public long Time { get; init; }

    public required string Kind { get; init; }

    public string Actor { get; init; } = "";

    public string Subject { get; init; } = "";

    public string Outcome { get; init; } = "ok";

    public string Details { get; init; } = "{}";

    public string PrevHash { get; init; } = "";

    public string Hash { get; init; } = "";
}
