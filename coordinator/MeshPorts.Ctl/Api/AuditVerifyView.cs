namespace MeshPorts.Ctl.Api;

/// <summary>The outcome of checking the audit hash chain.</summary>
internal sealed record AuditVerifyView
{
    public bool Ok { get; init; }

    public ulong Events { get; init; }

    /// <summary>The first entry whose hash does not follow from its predecessor, when broken.</summary>
    public ulong? BrokenAt { get; init; }

    public string? Reason { get; init; }
}
