using System.Collections.Concurrent;
using MeshPorts.Node.StateDirectory;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Tests.Agent;

/// <summary>Records what the agent asks the state dir to do, into the same log as the fake coordinator.</summary>
internal sealed class FakeKeyStore(ConcurrentQueue<string> log) : INodeKeyStore
{
    public void SaveNextKey(WgKey privateKey) => log.Enqueue("save:" + privateKey.PublicFromPrivate().ToBase64());

    public void PromoteNextKey(DateTimeOffset keyExpiresAt) => log.Enqueue("promote");

    public void DiscardNextKey() => log.Enqueue("discard");

    /// <summary>The netmap cache; tests preload it to play a restart.</summary>
    public byte[]? Netmap { get; set; }

    public void SaveNetmap(byte[] watchEvent) => Netmap = watchEvent;

    public byte[]? LoadNetmap() => Netmap;
}
