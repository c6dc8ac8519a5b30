namespace MeshPorts.Ctl.Api;

/// <summary>
/// The outcome of checking the audit log. From the server it is the server's own verdict and its signed head;
/// the one meshctl prints is meshctl's own check of the chain, the head's signature and the head seen before.
/// </summary>
internal sealed record AuditVerifyView
{
    public bool Ok { get; init; }

    public ulong Checked { get; init; }

    /// <summary>The first entry whose hash does not follow from its predecessor, when broken.</summary>
    public ulong? FirstBadSeq { get; init; }

    public string? Problem { get; init; }

    /// <summary>The latest signed head; null while the log is empty or from a coordinator that does not sign.</summary>
    public AuditHeadView? Head { get; init; }

    /// <summary>"ed25519:&lt;base64&gt;": from the server, the key it says it signs with; from meshctl, the key it checked with.</summary>
    public string? AuditKey { get; init; }

    /// <summary>Where meshctl's key came from: "meshctl.conf", "saved" (learned earlier) or "first use".</summary>
    public string? AuditKeySource { get; init; }

    /// <summary>The head meshctl had seen before this check, when it had one.</summary>
    public ulong? PreviousHeadSeq { get; init; }

    public DateTimeOffset? PreviousHeadSeenAt { get; init; }
}
