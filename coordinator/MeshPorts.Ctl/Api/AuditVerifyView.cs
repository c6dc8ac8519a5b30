namespace MeshPorts.Ctl.Api;

/// <summary>The outcome of checking the audit hash chain.</summary>
internal sealed record AuditVerifyView
{
    public bool Ok { get; init; }

    public ulong Checked { get; init; }

    /// <summary>The first entry whose hash does not follow from its predecessor, when broken.</summary>
    public ulong? FirstBadSeq { get; init; }

    public string? Problem { get; init; }
}
