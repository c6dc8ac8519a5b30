using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.Audit;

internal static partial class AuditLogLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "audit {Seq} {Kind} actor={Actor} subject={Subject} outcome={Outcome}")]
    public static partial void Appended(ILogger logger, long seq, string kind, string actor, string subject, string outcome);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "could not append to audit.jsonl; the database copy is authoritative")]
    public static partial void JsonlFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "source {Source} probed {Count} distinct targets within the window; alert raised")]
    public static partial void ProbeAlert(ILogger logger, string source, int count);

    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "signed the head of an audit log written before heads were signed, at event {Seq}")]
    public static partial void HeadAdopted(ILogger logger, long seq);

    [LoggerMessage(EventId = 311, Level = LogLevel.Error, Message = "audit log changed outside the coordinator: {Problem}; recorded as audit.head_mismatch, run meshctl audit verify and restore the database from a backup")]
    public static partial void HeadMismatch(ILogger logger, string problem);

    [LoggerMessage(EventId = 330, Level = LogLevel.Error, Message = "audit hash chain broken at event {Seq}: {Problem}; meshports_audit_chain_ok is 0, run meshctl audit verify and restore the database from a backup")]
    public static partial void ChainBroken(ILogger logger, long seq, string problem);

    [LoggerMessage(EventId = 331, Level = LogLevel.Warning, Message = "could not check the audit chain; retrying")]
    public static partial void ChainCheckFailed(ILogger logger, Exception exception);
}
