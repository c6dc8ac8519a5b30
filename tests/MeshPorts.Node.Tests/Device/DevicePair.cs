using MeshPorts.Node.Routing;
using MeshPorts.Node.Uapi;
using MeshPorts.TestKit;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshPorts.Node.Tests.Device;

/// <summary>Two devices on an in-memory network, configured through the same UAPI model `wg` drives.</summary>
internal sealed class DevicePair : IDisposable
{
    public DevicePair(TimeProvider? time = null, bool withEndpointOnB = true)
    {
        time ??= TimeProvider.System;
        Network = new MemoryNetwork();
        TunA = new MemoryTun("memA");
        TunB = new MemoryTun("memB");
        A = new Node.Device.Device(TunA, Network.Host("192.0.2.1"), time, NullLogger.Instance);
        B = new Node.Device.Device(TunB, Network.Host("192.0.2.2"), time, NullLogger.Instance);
        KeyA = WgKey.GeneratePrivate();
        KeyB = WgKey.GeneratePrivate();

        Assert.Equal(0, A.Apply(Set(KeyA, 51820, KeyB.PublicFromPrivate(), "10.0.0.2/32", "fd00::2/128", withEndpointOnB ? "192.0.2.2:51821" : null)));
        Assert.Equal(0, B.Apply(Set(KeyB, 51821, KeyA.PublicFromPrivate(), "10.0.0.1/32", "fd00::1/128", "192.0.2.1:51820")));
        A.Start();
        B.Start();
    }

    public MemoryNetwork Network { get; }

    public MemoryTun TunA { get; }

    public MemoryTun TunB { get; }

    public Node.Device.Device A { get; }

    public Node.Device.Device B { get; }

    public WgKey KeyA { get; }

    public WgKey KeyB { get; }

    public static UapiSetRequest Set(WgKey privateKey, ushort port, WgKey peer, string allowed4, string allowed6, string? endpoint)
    {
        var request = new UapiSetRequest { PrivateKey = privateKey, ListenPort = port };
        var update = new UapiPeerUpdate(peer);
        update.AllowedIps.Add(IpPrefix.Parse(allowed4));
        update.AllowedIps.Add(IpPrefix.Parse(allowed6));
        if (endpoint is not null)
        {
            Assert.True(PeerEndpoint.TryParse(endpoint, out var ep));
            update.Endpoint = ep;
        }

        request.Peers.Add(update);
        return request;
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}
