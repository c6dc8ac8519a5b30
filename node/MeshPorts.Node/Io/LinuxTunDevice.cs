using MeshPorts.Native.Linux;

namespace MeshPorts.Node.Io;

/// <summary>The kernel TUN device behind the device's <see cref="ITunDevice"/>.</summary>
internal sealed class LinuxTunDevice : ITunDevice
{
    private readonly LinuxTun _tun;

    private LinuxTunDevice(LinuxTun tun)
    {
        _tun = tun;
    }

    public string Name => _tun.Name;

    public int Mtu => _tun.Mtu;

    /// <summary>Creates TUN <paramref name="name"/> (IFF_TUN | IFF_NO_PI) with the given MTU and brings it up.</summary>
    public static LinuxTunDevice Create(string name, int mtu = 1420) => new(LinuxTun.Create(name, mtu));

    public int ReadBatch(Span<byte> buffer, int slotSize, Span<int> lengths) => _tun.ReadBatch(buffer, slotSize, lengths);

    public bool Write(ReadOnlySpan<byte> packet) => _tun.Write(packet);

    public void Dispose() => _tun.Dispose();
}
