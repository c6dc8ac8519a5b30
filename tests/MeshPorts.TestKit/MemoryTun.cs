using System.Collections.Concurrent;
using MeshPorts.Node.Io;

namespace MeshPorts.TestKit;

/// <summary>
/// An in-memory TUN: tests play the kernel, injecting packets the host "sends" and reading the packets
/// the device delivers.
/// </summary>
internal sealed class MemoryTun : ITunDevice
{
    private readonly BlockingCollection<byte[]> _fromKernel = new();
    private readonly BlockingCollection<byte[]> _toKernel = new();
    private readonly CancellationTokenSource _closed = new();

    public MemoryTun(string name = "mem0", int mtu = 1420)
    {
        Name = name;
        Mtu = mtu;
    }

    public string Name { get; }

    public int Mtu { get; }

    /// <summary>The host sends a packet into the tunnel.</summary>
    public void Inject(ReadOnlySpan<byte> packet) => _fromKernel.Add(packet.ToArray());

    /// <summary>Waits for the next packet the device delivered to the host, or null on timeout.</summary>
    public byte[]? TakeDelivered(TimeSpan timeout) => _toKernel.TryTake(out var p, timeout) ? p : null;

    public int DeliveredCount => _toKernel.Count;

    int ITunDevice.ReadBatch(Span<byte> buffer, int slotSize, Span<int> lengths)
    {
        byte[] first;
        try
        {
            first = _fromKernel.Take(_closed.Token);
        }
        catch (OperationCanceledException)
        {
            return 0;
        }

        var count = 0;
        var next = first;
        do
        {
            next.CopyTo(buffer[(count * slotSize)..]);
            lengths[count++] = next.Length;
        }
        while (count < lengths.Length && _fromKernel.TryTake(out next!));

        return count;
    }

    bool ITunDevice.Write(ReadOnlySpan<byte> packet)
    {
        _toKernel.Add(packet.ToArray());
        return true;
    }

    public void Dispose()
    {
        if (!_closed.IsCancellationRequested)
        {
            _closed.Cancel();
        }
    }
}
