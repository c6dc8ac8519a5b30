using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.Audit.Shipping;

/// <summary>One place committed audit events are shipped to; called by its own drain task, one event at a time, in chain order.</summary>
internal interface IAuditSink : IAsyncDisposable
{
    /// <summary>The metric label: journald, syslog or otlp.</summary>
    string Name { get; }

    /// <summary>Hands one event over; throws when it could not (the event is then counted as dropped for this sink).</summary>
    Task SendAsync(AuditRecord record, CancellationToken cancellationToken);
}
