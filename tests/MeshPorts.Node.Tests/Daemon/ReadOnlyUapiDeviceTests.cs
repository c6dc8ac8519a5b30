using MeshPorts.Node.Daemon;
using MeshPorts.Node.Tests.Uapi;
using MeshPorts.Node.Uapi;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Tests.Daemon;

public sealed class ReadOnlyUapiDeviceTests
{
    [Fact]
    public void Apply_IsRefusedWithEperm_AndNeverReachesTheDevice()
    {
        var inner = new FakeUapiDevice();
        var device = new ReadOnlyUapiDevice(inner);

        var errno = device.Apply(new UapiSetRequest { PrivateKey = WgKey.GeneratePrivate(), ListenPort = 1 });

        Assert.Equal(1, errno);
        Assert.Empty(inner.Applied);
    }

    [Fact]
    public void Snapshot_IsTheDevicesOwn()
    {
        var inner = new FakeUapiDevice { Current = new UapiDeviceSnapshot { ListenPort = 51820 } };

        Assert.Same(inner.Current, new ReadOnlyUapiDevice(inner).Snapshot());
    }
}
