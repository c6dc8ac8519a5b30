using System.Net;
using MeshPorts.Node.Device;
using MeshPorts.Node.Filter;
using MeshPorts.Node.Routing;
using MeshPorts.Node.Tests.Mesh;
using MeshPorts.TestKit;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;
using Microsoft.Extensions.Logging.Abstractions;
using MeshDevice = MeshPorts.Node.Device.Device;

namespace MeshPorts.Node.Tests.Device;

/// <summary>Two mesh devices ("db" and "laptop", as in <see cref="MeshPair"/>) with a fake relay between them.</summary>
internal sealed class PathPair : IDisposable
{
    public const string DbAddress = "192.0.2.1:51820";
    public const string LaptopAddress = "192.0.2.2:51821";

    public PathPair(bool pathManaged = true)
    {
        var options = new DeviceOptions { PathManaged = pathManaged };
        TunDb = new MemoryTun("db0");
        TunLaptop = new MemoryTun("laptop0");
        Db = new MeshDevice(TunDb, Network.Host("192.0.2.1"), TimeProvider.System, NullLogger.Instance, options, new PacketFilter(TimeProvider.System, [IPAddress.Parse(MeshPair.DbIp)]));
        Laptop = new MeshDevice(TunLaptop, Network.Host("192.0.2.2"), TimeProvider.System, NullLogger.Instance, new DeviceOptions { PathManaged = pathManaged }, new PacketFilter(TimeProvider.System, [IPAddress.Parse(MeshPair.LaptopIp)]));
        Db.Configure(KeyDb, 51820);
        Laptop.Configure(KeyLaptop, 51821);
        DbRelay = Hub.Attach(MeshPair.DbId, Db);
        LaptopRelay = Hub.Attach(MeshPair.LaptopId, Laptop);
        Db.Start();
        Laptop.Start();
    }

    public MemoryNetwork Network { get; } = new();

    public FakeRelayHub Hub { get; } = new();

    public MemoryTun TunDb { get; }

    public MemoryTun TunLaptop { get; }

    public MeshDevice Db { get; }

    public MeshDevice Laptop { get; }

    public FakeRelayLink DbRelay { get; }

    public FakeRelayLink LaptopRelay { get; }

    public WgKey KeyDb { get; } = WgKey.GeneratePrivate();

    public WgKey KeyLaptop { get; } = WgKey.GeneratePrivate();

    public static DateTimeOffset Later => DateTimeOffset.UtcNow.AddHours(1);

    public MeshPeerConfig LaptopAsPeer(params string[] candidates) =>
        new(MeshPair.LaptopId, "laptop", KeyLaptop.PublicFromPrivate(), [IpPrefix.Parse(MeshPair.LaptopIp + "/32")], [.. candidates.Select(FakeRelayLink.Parse)], Later);

    public MeshPeerConfig DbAsPeer(params string[] candidates) =>
        new(MeshPair.DbId, "db", KeyDb.PublicFromPrivate(), [IpPrefix.Parse(MeshPair.DbIp + "/32")], [.. candidates.Select(FakeRelayLink.Parse)], Later);

    /// <summary>Each side gets the other, with its real address as the only candidate; db grants the laptop 5432/tcp.</summary>
    public void Connect()
    {
        Db.ApplyMesh(new DeviceMeshConfig([LaptopAsPeer(LaptopAddress)], [MeshPair.GrantLaptop(5432, Later)]));
        Laptop.ApplyMesh(new DeviceMeshConfig([DbAsPeer(DbAddress)], []));
    }

    public PeerEndpoint EndpointOnDb() => Db.MeshPeers().Single().Endpoint;

    public static byte[] Syn(ushort sourcePort, ushort port) =>
        Filter.FilterPackets.Tcp(MeshPair.LaptopIp, sourcePort, MeshPair.DbIp, port, 1000, 0, Filter.FilterPackets.Syn);

    public void Dispose()
    {
        Db.Dispose();
        Laptop.Dispose();
        Hub.Dispose();
    }
}
