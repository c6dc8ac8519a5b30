using System.Threading.Channels;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.Audit;

/// <summary>A subscription to new audit events.</summary>
internal sealed class AuditFollower : IDisposable
{
    private readonly Action _unsubscribe;

    public AuditFollower(ChannelReader<AuditRecord> reader, Action unsubscribe)
    {
        Reader = reader;
        _unsubscribe = unsubscribe;
    }

    public ChannelReader<AuditRecord> Reader { get; }

    public void Dispose() => _unsubscribe();
}
