using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MeshPorts.Native.Linux.Tests;

/// <summary>Real TUN devices in the root namespace, named mpnt* and removed by Dispose.</summary>
public sealed class LinuxTunTests
{
    public LinuxTunTests() => TestNetwork.RequireRootAndTun();

    [Fact]
    public void Create_MakesAnUpTunDeviceWithTheMtuAndNoPacketInfo()
    {
        var name = TestNetwork.InterfaceName();
        using (var tun = LinuxTun.Create(name, mtu: 1380))
        {
            Assert.Equal(name, tun.Name);
            Assert.Equal(1380, tun.Mtu);
            Assert.Equal("1380", TestNetwork.SysClassNet(name, "mtu"));
            var flags = Convert.ToInt32(TestNetwork.SysClassNet(name, "flags"), 16);
            Assert.True((flags & 0x1) != 0, $"IFF_UP is not set (flags 0x{flags:x}).");
            // IFF_TUN | IFF_NO_PI, as the driver reports the open flags.
            Assert.Equal(0x1001, Convert.ToInt32(TestNetwork.SysClassNet(name, "tun_flags"), 16));
        }

        Assert.True(WaitUntil(() => !Directory.Exists($"/sys/class/net/{name}"), TimeSpan.FromSeconds(3)),
            $"{name} still exists after Dispose.");
    }

    [Fact]
    public void Create_WithBringUpFalse_LeavesTheLinkDown()
    {
        var name = TestNetwork.InterfaceName();
        using var tun = LinuxTun.Create(name, options: new LinuxTunOptions { BringUp = false });
        var flags = Convert.ToInt32(TestNetwork.SysClassNet(name, "flags"), 16);
        Assert.Equal(0, flags & 0x1);
        Assert.Equal("1420", TestNetwork.SysClassNet(name, "mtu"));
    }

    [Fact]
    public void SetMtu_ChangesTheKernelMtu()
    {
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        tun.SetMtu(1280);
        Assert.Equal(1280, tun.Mtu);
        Assert.Equal("1280", TestNetwork.SysClassNet(tun.Name, "mtu"));
    }

    [Theory]
    [InlineData("mpnt-name-too-long", "at most 15")]
    [InlineData("mp/0", "'/'")]
    [InlineData("mp 0", "whitespace")]
    [InlineData("", "empty")]
    public void Create_WithInvalidName_ThrowsArgumentExceptionSayingWhy(string name, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => LinuxTun.Create(name));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Create_WithTheNameOfANonTunInterface_ThrowsNativeExceptionWithErrno()
    {
        var e = Assert.Throws<NativeException>(() => LinuxTun.Create("lo"));
        Assert.Equal(22, e.Errno);
        Assert.Contains("TUNSETIFF", e.Message);
        Assert.Contains("'lo'", e.Message);
    }

    [Fact]
    public void Create_WithMtuBelowTheIPv4Minimum_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LinuxTun.Create(TestNetwork.InterfaceName(), mtu: 40));
    }

    [Fact]
    public void Read_BlockedWithNoTraffic_ReturnsZeroWithinOneSecondOfDispose()
    {
        var tun = LinuxTun.Create(TestNetwork.InterfaceName(), options: new LinuxTunOptions { BringUp = false });
        var result = -1;
        var reader = new Thread(() => result = tun.Read(new byte[2000])) { IsBackground = true };
        reader.Start();
        Thread.Sleep(300);
        Assert.True(reader.IsAlive, "Read returned before any packet or Dispose.");

        tun.Dispose();
        Assert.True(reader.Join(TimeSpan.FromSeconds(1)), "Read was still blocked 1 s after Dispose.");
        Assert.Equal(0, result);
        Assert.Equal(0, tun.Read(new byte[100]));
    }

    [Fact]
    public void ReadBatch_ReceivesTheDatagramTheKernelRoutesIntoTheTun()
    {
        var net = TestNetwork.RandomSlash30();
        var local = TestNetwork.Host(net, 1);
        var peer = TestNetwork.Host(net, 2);
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        Rtnetlink.AddAddress(Rtnetlink.GetInterfaceIndex(tun.Name), local, 30);
        var payload = Encoding.ASCII.GetBytes("mpnt-probe-" + Guid.NewGuid());

        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.SendTo(payload, new IPEndPoint(peer, 5555));

        const int slot = 2048;
        var buffer = new byte[slot * 8];
        var lengths = new int[8];
        var found = TestNetwork.RunWithTimeout(() =>
        {
            // The kernel may also send IPv6 router solicitations and the like into a fresh device.
            while (true)
            {
                var n = tun.ReadBatch(buffer, slot, lengths);
                if (n == 0)
                {
                    return false;
                }

                for (var i = 0; i < n; i++)
                {
                    if (Ipv4Packet.IsUdpTo(buffer.AsSpan(i * slot, lengths[i]), peer, 5555, payload))
                    {
                        var source = new IPAddress(buffer.AsSpan((i * slot) + 12, 4));
                        Assert.Equal(local, source);
                        return true;
                    }
                }
            }
        }, TimeSpan.FromSeconds(5), tun.Dispose, "Reading the routed datagram from the TUN");
        Assert.True(found, "The TUN was closed before the datagram arrived.");
    }

    [Fact]
    public void ReadBatch_WithSeveralQueuedPackets_ReturnsThemInOneCall()
    {
        var net = TestNetwork.RandomSlash30();
        var peer = TestNetwork.Host(net, 2);
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        Rtnetlink.AddAddress(Rtnetlink.GetInterfaceIndex(tun.Name), TestNetwork.Host(net, 1), 30);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        for (var i = 0; i < 5; i++)
        {
            sender.SendTo(new byte[] { (byte)i }, new IPEndPoint(peer, 6000));
        }

        const int slot = 1500;
        var buffer = new byte[slot * 16];
        var lengths = new int[16];
        var seen = new HashSet<byte>();
        var maxInOneCall = 0;
        TestNetwork.RunWithTimeout(() =>
        {
            while (seen.Count < 5)
            {
                var n = tun.ReadBatch(buffer, slot, lengths);
                Assert.NotEqual(0, n);
                var udpInThisCall = 0;
                for (var i = 0; i < n; i++)
                {
                    for (byte b = 0; b < 5; b++)
                    {
                        if (Ipv4Packet.IsUdpTo(buffer.AsSpan(i * slot, lengths[i]), peer, 6000, [b]))
                        {
                            seen.Add(b);
                            udpInThisCall++;
                        }
                    }
                }

                maxInOneCall = Math.Max(maxInOneCall, udpInThisCall);
            }

            return true;
        }, TimeSpan.FromSeconds(5), tun.Dispose, "Reading five queued datagrams");
        Assert.Equal(5, seen.Count);
        Assert.True(maxInOneCall > 1, "Every ReadBatch returned a single datagram although five were queued.");
    }

    [Fact]
    public void WriteBatch_PacketsFromThePeer_AreDeliveredToALocalSocket()
    {
        var net = TestNetwork.RandomSlash30();
        var local = TestNetwork.Host(net, 1);
        var peer = TestNetwork.Host(net, 2);
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        Rtnetlink.AddAddress(Rtnetlink.GetInterfaceIndex(tun.Name), local, 30);
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(local, 0));
        receiver.ReceiveTimeout = 3000;
        var port = (ushort)((IPEndPoint)receiver.LocalEndPoint!).Port;

        Assert.True(tun.Write(Ipv4Packet.Udp(peer, 4000, local, port, "single"u8)));

        const int slot = 256;
        var buffer = new byte[slot * 3];
        var lengths = new int[3];
        for (var i = 0; i < 3; i++)
        {
            var packet = Ipv4Packet.Udp(peer, 4000, local, port, Encoding.ASCII.GetBytes($"batch-{i}"));
            packet.CopyTo(buffer, i * slot);
            lengths[i] = packet.Length;
        }

        Assert.Equal(3, tun.WriteBatch(buffer, slot, lengths));

        var expected = new[] { "single", "batch-0", "batch-1", "batch-2" };
        var received = new List<string>();
        var data = new byte[512];
        for (var i = 0; i < expected.Length; i++)
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            var n = receiver.ReceiveFrom(data, ref from);
            Assert.Equal(new IPEndPoint(peer, 4000), from);
            received.Add(Encoding.ASCII.GetString(data, 0, n));
        }

        Assert.Equal(expected, received);
        Assert.Equal(0, tun.DroppedWrites);
    }

    [Fact]
    public void Write_NotAnIpPacket_IsDroppedAndCountedInsteadOfThrowing()
    {
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        Assert.False(tun.Write(new byte[] { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 }));
        Assert.Equal(1, tun.DroppedWrites);
    }

    [Fact]
    public void Dispose_WhileWritersAreBusy_EndsThemWithoutErrors()
    {
        var net = TestNetwork.RandomSlash30();
        var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        // Addressed to the TUN's own address, so the kernel delivers locally and never forwards them.
        Rtnetlink.AddAddress(Rtnetlink.GetInterfaceIndex(tun.Name), TestNetwork.Host(net, 1), 30);
        var packet = Ipv4Packet.Udp(TestNetwork.Host(net, 2), 1, TestNetwork.Host(net, 1), 9, new byte[64]);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var stop = new ManualResetEventSlim();
        long accepted = 0;
        var writers = Enumerable.Range(0, 3).Select(_ => new Thread(() =>
        {
            try
            {
                while (!stop.IsSet)
                {
                    if (tun.Write(packet))
                    {
                        Interlocked.Increment(ref accepted);
                    }
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        })
        { IsBackground = true }).ToList();

        writers.ForEach(t => t.Start());
        Thread.Sleep(200);
        tun.Dispose();
        Thread.Sleep(100); // writers keep calling Write on the disposed device
        stop.Set();

        Assert.All(writers, t => Assert.True(t.Join(TimeSpan.FromSeconds(2)), "A writer did not end."));
        Assert.Empty(failures);
        Assert.True(Interlocked.Read(ref accepted) > 0, "No write was accepted before Dispose.");
        Assert.False(tun.Write(packet));
    }

    [Fact]
    public void Read_WhenTheInterfaceIsDeletedUnderneath_FailsWithANativeExceptionInsteadOfHanging()
    {
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName(), options: new LinuxTunOptions { BringUp = false });
        Exception? failure = null;
        var reader = new Thread(() =>
        {
            try
            {
                tun.Read(new byte[2000]);
            }
            catch (Exception e)
            {
                failure = e;
            }
        })
        { IsBackground = true };
        reader.Start();
        Thread.Sleep(200);

        Shell.Run("ip", "link", "delete", tun.Name);
        var ended = reader.Join(TimeSpan.FromSeconds(2));
        if (!ended)
        {
            tun.Dispose();
        }

        Assert.True(ended, "Read kept blocking after the interface was deleted.");
        var native = Assert.IsType<NativeException>(failure);
        Assert.Contains(tun.Name, native.Message);
        Assert.Equal(77, native.Errno); // EBADFD: the tun driver's "detached" answer
        Assert.Contains("deleted", native.Message);
    }

    [Fact]
    public void Write_AfterDispose_ReturnsFalse()
    {
        var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        tun.Dispose();
        Assert.False(tun.Write(Ipv4Packet.Udp(IPAddress.Loopback, 1, IPAddress.Loopback, 2, "x"u8)));
    }

    private static bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            Thread.Sleep(20);
        }

        return true;
    }
}
