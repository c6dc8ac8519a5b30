using System.Net;
using MeshPorts.Node.Device;
using MeshPorts.Node.Filter;
using MeshPorts.Node.Routing;
using MeshPorts.TestKit;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;
using Microsoft.Extensions.Logging.Abstractions;
using MeshDevice = MeshPorts.Node.Device.Device;

namespace MeshPorts.Node.Tests.Mesh;

/// <summary>
/// Two devices in mesh mode with packet filters on an in-memory network: "db" (exposes ports) and
/// "laptop" (connects to them), configured only through <see cref="MeshDevice.ApplyMesh"/>.
/// </summary>
internal sealed class MeshPair : IDisposable
{
    public const string DbIp = "100.64.0.1";
    public const string LaptopIp = "100.64.0.2";
    public const string DbId = "node-db";
    public const string LaptopId = "node-laptop";
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public MeshPair(TimeProvider? time = null)
    {
        Time = time ?? TimeProvider.System;
        Network = new MemoryNetwork();
        TunDb = new MemoryTun("db0");
        TunLaptop = new MemoryTun("laptop0");
        Db = new MeshDevice(TunDb, Network.Host("192.0.2.1"), Time, NullLogger.Instance, filter: new PacketFilter(Time, [IPAddress.Parse(DbIp)]));
        Laptop = new MeshDevice(TunLaptop, Network.Host("192.0.2.2"), Time, NullLogger.Instance, filter: new PacketFilter(Time, [IPAddress.Parse(LaptopIp)]));
        KeyDb = WgKey.GeneratePrivate();
        KeyLaptop = WgKey.GeneratePrivate();
        Db.Configure(KeyDb, 51820);
        Laptop.Configure(KeyLaptop, 51821);
        Db.Start();
        Laptop.Start();
    }

    public TimeProvider Time { get; }

    public MemoryNetwork Network { get; }

    public MemoryTun TunDb { get; }

    public MemoryTun TunLaptop { get; }

    public MeshDevice Db { get; }

    public MeshDevice Laptop { get; }

    public WgKey KeyDb { get; }

    public WgKey KeyLaptop { get; }

    public PacketFilter DbFilter => Db.Filter!;

    public DateTimeOffset Now => Time.GetUtcNow();

    public static WgKey LaptopIdentity => MeshIdentity.ForNode(LaptopId);

    public MeshPeerConfig LaptopAsPeer(DateTimeOffset validUntil, WgKey? publicKey = null) =>
        new(LaptopId, "laptop", publicKey ?? KeyLaptop.PublicFromPrivate(), [IpPrefix.Parse(LaptopIp + "/32")], [Endpoint("192.0.2.2:51821")], validUntil);

    public MeshPeerConfig DbAsPeer(DateTimeOffset validUntil) =>
        new(DbId, "db", KeyDb.PublicFromPrivate(), [IpPrefix.Parse(DbIp + "/32")], [Endpoint("192.0.2.1:51820")], validUntil);

    public static FilterRule GrantLaptop(ushort port, DateTimeOffset notAfter, string id = "grant-laptop") =>
        new(id, FilterRuleKind.Grant, LaptopIdentity, FilterProtocol.Tcp, port, notAfter);

    /// <summary>Each device gets the other as its only peer; db gets <paramref name="dbRules"/>.</summary>
    public void Connect(DateTimeOffset laptopValidUntil, params FilterRule[] dbRules)
    {
        var onDb = Db.ApplyMesh(new DeviceMeshConfig([LaptopAsPeer(laptopValidUntil)], dbRules));
        var onLaptop = Laptop.ApplyMesh(new DeviceMeshConfig([DbAsPeer(Now + TimeSpan.FromHours(1))], []));
        Assert.Equal(1, onDb.Added);
        Assert.Equal(1, onLaptop.Added);
    }

    public static byte[] Take(MemoryTun tun, string what) =>
        tun.TakeDelivered(Wait) ?? throw new Xunit.Sdk.XunitException($"{what} did not arrive at {tun.Name} within {Wait.TotalSeconds:0} s");

    /// <summary>Polls (there is no event to await) until <paramref name="condition"/> holds.</summary>
    public static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"{what} did not happen within {Wait.TotalSeconds:0} s");
            }

            Thread.Sleep(20);
        }
    }

    public void Dispose()
    {
        Db.Dispose();
        Laptop.Dispose();
    }

    private static PeerEndpoint Endpoint(string text)
    {
        Assert.True(PeerEndpoint.TryParse(text, out var endpoint));
        return endpoint;
    }
}
