using System.Globalization;
using System.Net;
using MeshPorts.Relay.Udp;
using Microsoft.Extensions.Time.Testing;

namespace MeshPorts.Relay.Tests;

/// <summary>
/// The relay's one UDP socket asks for 4 MiB buffers: with the kernel's default 208 KiB, 200 relayed pairs
/// at 50 datagrams a second lost 0.7 % at full receive buffers (scripts/bench-nat.sh --relay-load).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UdpSocketBufferTests
{
    [Fact]
    public async Task TheRelaySocket_GetsTheReceiveBufferItAsks_UpToTheKernelsCap()
    {
        var rmemMax = int.Parse(File.ReadAllText("/proc/sys/net/core/rmem_max").Trim(), CultureInfo.InvariantCulture);
        await using var udp = RelayUdpSocket.Start(new IPEndPoint(IPAddress.Loopback, 0), new NoCounters(), new FakeTimeProvider());

        // socket(7): the kernel doubles what SO_RCVBUF asks for (bookkeeping) and caps the request at
        // rmem_max. Where rmem_max is above the default (208 KiB), a socket that asked for nothing reports
        // twice the default instead, and this fails.
        Assert.Equal(2 * Math.Min(RelayUdpSocket.SocketBufferBytes, rmemMax), udp.ReceiveBufferSize);
    }

    private sealed class NoCounters : IStunCounters
    {
        public void StunAnswered()
        {
        }

        public void StunDropped(bool rateLimited)
        {
        }
    }
}
