using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Device;

/// <summary>A mesh peer's relay slot: its virtual endpoint and the bytes that went through the relay.</summary>
internal sealed class RelayedPeer(string nodeId, uint slot)
{
    private long _rxBytes;
    private long _txBytes;

    public string NodeId { get; } = nodeId;

    public uint Slot { get; } = slot;

    /// <summary>What the engine sees as the peer's address while it is relayed.</summary>
    public PeerEndpoint Endpoint { get; } = RelayEndpoints.ForSlot(slot);

    /// <summary>WireGuard datagram bytes the relay delivered from the peer.</summary>
    public long RxBytes => Interlocked.Read(ref _rxBytes);

    /// <summary>WireGuard datagram bytes the relay client took for the peer.</summary>
    public long TxBytes => Interlocked.Read(ref _txBytes);

    public void AddRx(int bytes) => Interlocked.Add(ref _rxBytes, bytes);

    public void AddTx(int bytes) => Interlocked.Add(ref _txBytes, bytes);
}
