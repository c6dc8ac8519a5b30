using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MeshPorts.Native.Linux.Tests;

/// <summary>Real sockets on loopback only.</summary>
public sealed class UdpBatchSocketTests
{
    private const int Slot = 256;

    [Theory]
    [InlineData("::1")]
    [InlineData("127.0.0.1")]
    public void SendBatch_64DatagramsToItself_AllArriveWithTheRightSource(string loopback)
    {
        using var socket = new UdpBatchSocket(0);
        Assert.NotEqual(0, socket.LocalPort);
        var self = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Parse(loopback), socket.LocalPort));

        const int count = 64;
        var buffer = new byte[Slot * count];
        var lengths = new int[count];
        var destinations = new UdpAddress[count];
        for (var i = 0; i < count; i++)
        {
            var text = Encoding.ASCII.GetBytes($"datagram-{i:D2}-{new string('x', i)}");
            text.CopyTo(buffer, i * Slot);
            lengths[i] = text.Length;
            destinations[i] = self;
        }

        Assert.Equal(count, socket.SendBatch(buffer, Slot, lengths, destinations));

        var received = ReceiveAll(socket, count, out var sources);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"datagram-{i:D2}-{new string('x', i)}").Order(), received.Order());
        Assert.All(sources, s => Assert.Equal(self, s));
        Assert.Equal(loopback == "127.0.0.1", sources[0].IsIPv4);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(loopback), socket.LocalPort), sources[0].ToIPEndPoint());
    }

    [Fact]
    public void Ipv4OnlyFallback_SendsAndReceivesV4MappedAndDropsIPv6Destinations()
    {
        using var socket = new UdpBatchSocket(0, 8, ipv6: false);
        Assert.False(socket.IsDualStack);
        var self = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, socket.LocalPort));
        var v6 = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, socket.LocalPort));
        var buffer = new byte[Slot * 3];
        "one"u8.ToArray().CopyTo(buffer, 0);
        "two"u8.ToArray().CopyTo(buffer, Slot);
        "six"u8.ToArray().CopyTo(buffer, 2 * Slot);

        Assert.Equal(2, socket.SendBatch(buffer, Slot, [3, 3, 3], [self, self, v6]));
        Assert.Equal(1, socket.SendErrors);
        Assert.True(socket.Send("three"u8, self));

        var received = ReceiveAll(socket, 3, out var sources);
        Assert.Equal(["one", "three", "two"], received.Order());
        Assert.All(sources, s => Assert.Equal(self, s));
        Assert.True(sources[0].IsIPv4);
    }

    [Fact]
    public void Constructor_Normally_IsDualStack()
    {
        using var socket = new UdpBatchSocket(0);
        Assert.True(socket.IsDualStack);
    }

    [Fact]
    public void ReceiveBatch_FromAnOrdinaryIPv4Socket_ReportsTheSenderV4Mapped()
    {
        using var socket = new UdpBatchSocket(0);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        sender.SendTo("hello"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, socket.LocalPort));

        var received = ReceiveAll(socket, 1, out var sources);
        Assert.Equal("hello", received[0]);
        Assert.True(sources[0].IsIPv4);
        Assert.Equal(sender.LocalEndPoint, sources[0].ToIPEndPoint());
    }

    [Fact]
    public void Send_ToAnOrdinaryIPv4Socket_ArrivesFromTheLocalPort()
    {
        using var socket = new UdpBatchSocket(0);
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        receiver.ReceiveTimeout = 3000;

        Assert.True(socket.Send("ping"u8, UdpAddress.FromIPEndPoint((IPEndPoint)receiver.LocalEndPoint!)));

        var data = new byte[64];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        var n = receiver.ReceiveFrom(data, ref from);
        Assert.Equal("ping", Encoding.ASCII.GetString(data, 0, n));
        Assert.Equal(socket.LocalPort, ((IPEndPoint)from).Port);
    }

    [Fact]
    public void ReceiveBatch_BlockedWithNoTraffic_ReturnsZeroWithinOneSecondOfDispose()
    {
        var socket = new UdpBatchSocket(0);
        var result = -1;
        var reader = new Thread(() => result = socket.ReceiveBatch(new byte[Slot * 4], Slot, new int[4], new UdpAddress[4])) { IsBackground = true };
        reader.Start();
        Thread.Sleep(300);
        Assert.True(reader.IsAlive, "ReceiveBatch returned before any datagram or Dispose.");

        socket.Dispose();
        Assert.True(reader.Join(TimeSpan.FromSeconds(1)), "ReceiveBatch was still blocked 1 s after Dispose.");
        Assert.Equal(0, result);
        Assert.Equal(0, socket.ReceiveBatch(new byte[Slot], Slot, new int[1], new UdpAddress[1]));
        Assert.False(socket.Send("late"u8, UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, 9))));
    }

    [Fact]
    public void Dispose_WhileSendersAndAReceiverAreBusy_EndsEveryThreadCleanly()
    {
        var socket = new UdpBatchSocket(0);
        var self = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, socket.LocalPort));
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        long received = 0;
        var receiver = new Thread(() =>
        {
            try
            {
                var buffer = new byte[Slot * 32];
                var lengths = new int[32];
                var sources = new UdpAddress[32];
                int n;
                while ((n = socket.ReceiveBatch(buffer, Slot, lengths, sources)) > 0)
                {
                    Interlocked.Add(ref received, n);
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        })
        { IsBackground = true };
        var senders = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            try
            {
                var datagram = new byte[100];
                while (socket.Send(datagram, self))
                {
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        })
        { IsBackground = true }).ToList();

        receiver.Start();
        senders.ForEach(t => t.Start());
        Thread.Sleep(300);
        socket.Dispose();

        Assert.True(receiver.Join(TimeSpan.FromSeconds(2)), "The receiver did not end after Dispose.");
        Assert.All(senders, t => Assert.True(t.Join(TimeSpan.FromSeconds(2)), "A sender did not end after Dispose."));
        Assert.Empty(failures);
        Assert.True(Interlocked.Read(ref received) > 0, "No datagram was received while the senders ran.");
    }

    [Fact]
    public void Rebind_MovesABlockedReceiverToTheNewPort()
    {
        using var socket = new UdpBatchSocket(0);
        var oldPort = socket.LocalPort;
        var buffer = new byte[Slot * 4];
        var lengths = new int[4];
        var sources = new UdpAddress[4];
        var result = -1;
        var reader = new Thread(() => result = socket.ReceiveBatch(buffer, Slot, lengths, sources)) { IsBackground = true };
        reader.Start();
        Thread.Sleep(200);

        socket.Rebind(0);
        Assert.NotEqual(oldPort, socket.LocalPort);
        Assert.True(reader.IsAlive, "Rebind made the blocked receiver return instead of moving it to the new socket.");

        using var sender = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        sender.SendTo("after-rebind"u8.ToArray(), new IPEndPoint(IPAddress.IPv6Loopback, socket.LocalPort));
        Assert.True(reader.Join(TimeSpan.FromSeconds(3)), "The receiver did not get the datagram sent to the new port.");
        Assert.Equal(1, result);
        Assert.Equal("after-rebind", Encoding.ASCII.GetString(buffer, 0, lengths[0]));

        // The old port is released: an ordinary socket can take it.
        using var reuse = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        reuse.Bind(new IPEndPoint(IPAddress.IPv6Any, oldPort));
    }

    [Fact]
    public void Constructor_OnAPortInUse_ThrowsNativeExceptionWithEaddrinuse()
    {
        using var first = new UdpBatchSocket(0);
        var e = Assert.Throws<NativeException>(() => new UdpBatchSocket(first.LocalPort));
        Assert.Equal(98, e.Errno);
        Assert.Contains(first.LocalPort.ToString(), e.Message);
    }

    [Fact]
    public void SetFwmark_AsRoot_IsOnTheSocketAndSurvivesRebind()
    {
        Assert.True(Environment.IsPrivilegedProcess, "SO_MARK needs CAP_NET_ADMIN; CI runs these tests as root.");
        using var socket = new UdpBatchSocket(0);
        socket.SetFwmark(0x51820);
        Assert.Equal(0x51820, socket.ReadKernelMark());
        socket.Rebind(0);
        Assert.Equal(0x51820u, socket.Fwmark);
        Assert.Equal(0x51820, socket.ReadKernelMark());
    }

    [Fact]
    public void Constructor_AsRoot_GetsAReceiveBufferOfMegabytes()
    {
        Assert.True(Environment.IsPrivilegedProcess, "SO_RCVBUFFORCE needs CAP_NET_ADMIN; CI runs these tests as root.");
        using var socket = new UdpBatchSocket(0);
        // The kernel doubles the requested value for bookkeeping overhead.
        Assert.True(socket.ReadKernelReceiveBuffer() >= 7 << 20, $"SO_RCVBUF is only {socket.ReadKernelReceiveBuffer()} bytes.");
    }

    [Fact]
    public void SendBatch_ToAnUnroutableDestination_CountsTheDropAndSendsTheRest()
    {
        using var socket = new UdpBatchSocket(0);
        var self = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, socket.LocalPort));
        // Port 0 is never a valid destination: the kernel refuses it with EINVAL.
        var invalid = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        var buffer = new byte[Slot * 3];
        "abc"u8.ToArray().CopyTo(buffer, 0);
        "def"u8.ToArray().CopyTo(buffer, Slot);
        "ghi"u8.ToArray().CopyTo(buffer, 2 * Slot);

        Assert.Equal(2, socket.SendBatch(buffer, Slot, [3, 3, 3], [self, invalid, self]));
        Assert.Equal(1, socket.SendErrors);
        Assert.Equal(["abc", "ghi"], ReceiveAll(socket, 2, out _).Order());
    }

    [Fact]
    public void BatchPaths_AfterWarmUp_AllocateNothingPerCall()
    {
        using var socket = new UdpBatchSocket(0);
        var self = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, socket.LocalPort));
        const int count = 16;
        var sendBuffer = new byte[Slot * count];
        var sendLengths = Enumerable.Repeat(100, count).ToArray();
        var destinations = Enumerable.Repeat(self, count).ToArray();
        var receiveBuffer = new byte[Slot * count];
        var receiveLengths = new int[count];
        var sources = new UdpAddress[count];

        void RoundTrip()
        {
            var sent = socket.SendBatch(sendBuffer, Slot, sendLengths, destinations);
            var got = 0;
            while (got < sent)
            {
                got += socket.ReceiveBatch(receiveBuffer, Slot, receiveLengths, sources);
            }
        }

        RoundTrip();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++)
        {
            RoundTrip();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static List<string> ReceiveAll(UdpBatchSocket socket, int count, out List<UdpAddress> sources)
    {
        var texts = new List<string>();
        var from = new List<UdpAddress>();
        TestNetwork.RunWithTimeout(() =>
        {
            var buffer = new byte[Slot * 32];
            var lengths = new int[32];
            var batchSources = new UdpAddress[32];
            while (texts.Count < count)
            {
                var n = socket.ReceiveBatch(buffer, Slot, lengths, batchSources);
                Assert.NotEqual(0, n);
                for (var i = 0; i < n; i++)
                {
                    texts.Add(Encoding.ASCII.GetString(buffer, i * Slot, lengths[i]));
                    from.Add(batchSources[i]);
                }
            }

            return true;
        }, TimeSpan.FromSeconds(5), socket.Dispose, $"Receiving {count} datagrams");
        sources = from;
        return texts;
    }
}
