namespace MeshPorts.Ctl.Audit;

/// <summary>The last audit head meshctl verified: the key it was checked with, its seq and hash, when it was signed and when meshctl saw it.</summary>
internal sealed record SeenHead(string AuditKey, ulong Seq, string Hash, DateTimeOffset SignedAt, DateTimeOffset SeenAt);
