using MeshPorts.Coordinator.Audit;
using MeshPorts.Coordinator.Metrics;
using MeshPorts.Coordinator.Options;
using MeshPorts.Coordinator.State.Netmaps;
using MeshPorts.Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.State;

/// <summary>What every collaborator of <see cref="MeshState"/> writes to and reads the time from; each is safe to call from any thread.</summary>
internal sealed record MeshContext(IStore Store, AuditLog Audit, INetmapPublisher Publisher, TimeProvider Time, CoordinatorOptions Options,
    CoordinatorMetrics Metrics, ILogger Logger)
{
    public long Now => Time.GetUtcNow().ToUnixTimeMilliseconds();
}
