using Google.Protobuf;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.Paths;

namespace MeshPorts.Node.Agent;

internal sealed partial class MeshAgent
{
    /// <summary>
    /// Fail static across a restart: the last mesh state applied is put back on the device before the
    /// coordinator is reached. The device drops whatever has ended meanwhile (it never installs a peer
    /// past its validUntil, and the filter never admits past a rule's notAfter), so this only restores
    /// what is still valid. The view then forgets the serial, so the first Watch asks for a fresh snapshot.
    /// </summary>
    private void RestoreCachedNetmap()
    {
        var bytes = _keys.LoadNetmap();
        if (bytes is null)
        {
            return;
        }

        WatchEvent cached;
        try
        {
            cached = WatchEvent.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            return;
        }

        if (cached.EventCase != WatchEvent.EventOneofCase.Snapshot)
        {
            return;
        }

        IReadOnlyList<PathPeer>? applied;
        lock (_stateLock)
        {
            if (_view.Apply(cached) != WatchApplyOutcome.Applied)
            {
                return;
            }

            var result = _device.ApplyMesh(_view.ToDeviceConfig());
            AgentLog.RestoredNetmap(_logger, cached.Serial, result.Added);
            ViewApplied?.Invoke(_view);
            applied = MeshApplied is null ? null : _view.ToPathPeers();
            _view.Reset();
        }

        if (applied is not null)
        {
            MeshApplied?.Invoke(applied);
        }
    }

    // Called with _stateLock held, after the device applied the view.
    private void SaveNetmapLocked()
    {
        try
        {
            _keys.SaveNetmap(_view.ToSnapshotEvent().ToByteArray());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only a cache: the running node is unaffected; a restart without the coordinator fails closed.
            AgentLog.NetmapCacheFailed(_logger, ex.Message);
        }
    }
}
