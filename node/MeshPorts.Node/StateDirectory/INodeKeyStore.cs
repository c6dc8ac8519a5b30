using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.StateDirectory;

/// <summary>Where the agent keeps WireGuard keys across restarts (the state dir, 0600 files).</summary>
internal interface INodeKeyStore
{
    /// <summary>Persists a key being rotated in, before the coordinator is told about it.</summary>
    void SaveNextKey(WgKey privateKey);

    /// <summary>Makes the rotated-in key the current one (after the device switched to it).</summary>
    void PromoteNextKey(DateTimeOffset keyExpiresAt);

    /// <summary>Forgets a rotated-in key the coordinator never published.</summary>
    void DiscardNextKey();

    /// <summary>Keeps the last applied mesh state, so a restart without the coordinator fails static.</summary>
    void SaveNetmap(byte[] watchEvent);

    /// <summary>The mesh state saved by <see cref="SaveNetmap"/>, or null.</summary>
    byte[]? LoadNetmap();
}
