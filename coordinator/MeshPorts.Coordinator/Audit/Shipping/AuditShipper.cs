using MeshPorts.Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.Audit.Shipping;

/// <summary>
/// Ships each audit event this process commits to the configured sinks (journald, syslog, OTLP), after the commit
/// and in chain order, each sink through its own bounded queue (<see cref="AuditSinkQueue"/>). Shipping is a copy
/// for monitoring: the database stays the record, and a failed or slow sink never holds up or fails a change.
/// </summary>
internal sealed class AuditShipper : IAsyncDisposable
{
    public AuditShipper(IEnumerable<IAuditSink> sinks, int capacity, ILogger logger)
    {
        Queues = sinks.Select(s => new AuditSinkQueue(s, capacity, logger)).ToList();
    }

    public IReadOnlyList<AuditSinkQueue> Queues { get; }

    public void Start()
    {
        foreach (var queue in Queues)
        {
            queue.Start();
        }
    }

    /// <summary>Called by <see cref="AuditLog"/> once an event is committed; never waits and never throws.</summary>
    public void Ship(AuditRecord record)
    {
        foreach (var queue in Queues)
        {
            queue.Offer(record);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var queue in Queues)
        {
            await queue.DisposeAsync();
        }
    }
}
