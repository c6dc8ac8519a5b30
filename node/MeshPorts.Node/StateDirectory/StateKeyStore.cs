using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.StateDirectory;

/// <summary>The agent's <see cref="INodeKeyStore"/> over the state dir; a promotion also records the new expiry in node.json.</summary>
internal sealed class StateKeyStore(NodeStateStore store) : INodeKeyStore
{
    public void SaveNextKey(WgKey privateKey) => store.SaveNextWireGuardKey(privateKey);

    public void PromoteNextKey(DateTimeOffset keyExpiresAt)
    {
        store.PromoteNextWireGuardKey();
        if (store.LoadEnrollment() is { } record)
        {
            store.SaveEnrollment(record with { KeyExpiresAt = keyExpiresAt });
        }
    }

    public void DiscardNextKey() => store.DiscardNextWireGuardKey();

    public void SaveNetmap(byte[] watchEvent) => store.SaveNetmapCache(watchEvent);

    public byte[]? LoadNetmap() => store.LoadNetmapCache();
}
