namespace MeshPorts.Ctl.Api;

/// <summary>The chain's head as the coordinator signed it: the last event's seq and hash, when, and the Ed25519 signature (base64).</summary>
internal sealed record AuditHeadView
{
    public ulong Seq { get; init; }

    public required string Hash { get; init; }

    public DateTimeOffset Time { get; init; }

    public required string Signature { get; init; }
}
