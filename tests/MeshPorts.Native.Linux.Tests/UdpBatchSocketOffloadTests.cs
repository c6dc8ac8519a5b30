using System.Net;
using Xunit.Abstractions;

namespace MeshPorts.Native.Linux.Tests;

/// <summary>UDP_SEGMENT sends and UDP_GRO receives of UdpBatchSocket, on loopback and between two namespaces.</summary>
public sealed class UdpBatchSocketOffloadTests(ITestOutputHelper output)
{
    private const int Segment = 1200;
    private const int ReceiveSlot = 65536;

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void SendBatch_OfEqualDatagrams_ArrivesCoalescedAtAGroReceiver_AndRecutGivesWhatWasSent(string loopback)
    {
        using var sender = new UdpBatchSocket(0, offloads: true);
        using var receiver = new UdpBatchSocket(0, offloads: true);
        Assert.True(receiver.Gro, "The kernel refused UDP_GRO.");
        var datagrams = EqualRun(40, Segment, lastLength: 700);
        var destination = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Parse(loopback), receiver.LocalPort));

        Assert.Equal(40, Send(sender, datagrams.Select(d => (d, destination)).ToList()));
        Assert.True(sender.Gso, "GSO turned itself off on loopback.");
        Assert.Equal(0, sender.SendErrors);

        var messages = Receive(receiver, 40);
        output.WriteLine($"40 datagrams arrived as {messages.Count} messages: " + string.Join(", ", messages.Select(m => $"{m.Data.Length}/{m.SegmentSize}")));
        Assert.Contains(messages, m => m.SegmentSize == Segment);
        Assert.True(messages.Count < 40, $"{messages.Count} messages for 40 datagrams: nothing was coalesced.");
        AssertSameDatagrams(datagrams, messages.SelectMany(Recut).ToList());
        Assert.All(messages, m => Assert.Equal(UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Parse(loopback), sender.LocalPort)), m.Source));
    }

    [Fact]
    public void SendBatch_WithGso_ToAReceiverWithoutOffloads_ArrivesAsSingleDatagrams()
    {
        using var sender = new UdpBatchSocket(0, offloads: true);
        using var receiver = new UdpBatchSocket(0);
        Assert.False(receiver.Gro);
        var datagrams = EqualRun(40, Segment, lastLength: 700);
        var destination = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, receiver.LocalPort));

        Assert.Equal(40, Send(sender, datagrams.Select(d => (d, destination)).ToList()));
        Assert.True(sender.Gso);

        var messages = Receive(receiver, 40);
        Assert.Equal(40, messages.Count);
        Assert.All(messages, m => Assert.Equal(0, m.SegmentSize));
        AssertSameDatagrams(datagrams, messages.Select(m => m.Data).ToList());
    }

    [Fact]
    public void SendBatch_WithMixedDestinationsAndLengths_DeliversEveryDatagramIntactAndInOrder()
    {
        using var sender = new UdpBatchSocket(0, offloads: true);
        using var coalescing = new UdpBatchSocket(0, offloads: true);
        using var plain = new UdpBatchSocket(0);
        var a = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, coalescing.LocalPort));
        var b = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, plain.LocalPort));
        // Runs that may be segmented, runs broken by a change of destination, a shorter datagram
        // that ends a run, a longer one after a shorter one (must start a new run) and singles.
        var plan = new (int Length, UdpAddress To)[]
        {
            (1000, a), (1000, a), (1000, a), (1000, a), (1000, a),
            (800, b), (800, b), (800, b),
            (1000, a), (1000, a), (400, a),
            (50, a),
            (600, b), (700, b), (600, b),
            (1000, a), (1000, a), (1000, a),
            (1, b),
        };
        var batch = plan.Select((p, i) => (LinuxTunOffloadTests.Pattern(p.Length, seed: i), p.To)).ToList();

        Assert.Equal(plan.Length, Send(sender, batch));
        Assert.True(sender.Gso);
        Assert.Equal(0, sender.SendErrors);

        var toA = batch.Where(d => d.To == a).Select(d => d.Item1).ToList();
        var toB = batch.Where(d => d.To == b).Select(d => d.Item1).ToList();
        AssertSameDatagrams(toA, Receive(coalescing, toA.Count).SelectMany(Recut).ToList());
        AssertSameDatagrams(toB, Receive(plain, toB.Count).Select(m => m.Data).ToList());
    }

    [Fact]
    public void SendBatch_WithGso_SendsEmptyDatagramsAsDatagramsToo()
    {
        using var sender = new UdpBatchSocket(0, offloads: true);
        using var receiver = new UdpBatchSocket(0);
        var to = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, receiver.LocalPort));
        // A run of empty datagrams, and an empty one after a full one: neither can be a segment.
        var batch = new List<(byte[], UdpAddress)> { ([], to), ([], to), ([], to), (LinuxTunOffloadTests.Pattern(100, 1), to), ([], to) };

        Assert.Equal(5, Send(sender, batch));
        AssertSameDatagrams(batch.Select(d => d.Item1).ToList(), Receive(receiver, 5).Select(m => m.Data).ToList());
    }

    [Fact]
    public void SendBatch_WhenTheKernelRefusesGso_TurnsGsoOffAndStillDeliversEverything()
    {
        using var sender = new UdpBatchSocket(0, offloads: true);
        using var receiver = new UdpBatchSocket(0);
        // SO_NO_CHECK: IPv4 UDP without checksums, which the kernel will not segment (EINVAL).
        // (A device without checksum offload no longer makes 6.18 refuse with EIO: it
        // checksums in software; see LinuxTunOffloadTests.)
        sender.SetKernelOption(1, 11, 1);
        var destination = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, receiver.LocalPort));
        var first = EqualRun(10, 1000, lastLength: 1000);

        Assert.Equal(10, Send(sender, first.Select(d => (d, destination)).ToList()));
        Assert.False(sender.Gso, "GSO stayed on although the kernel refused a segmented send.");
        Assert.Equal(0, sender.SendErrors);
        var second = EqualRun(5, 900, lastLength: 100);
        Assert.Equal(5, Send(sender, second.Select(d => (d, destination)).ToList()));

        var messages = Receive(receiver, 15);
        AssertSameDatagrams([.. first, .. second], messages.Select(m => m.Data).ToList());
    }

    [Fact]
    public void SendBatch_OfDatagramsLargerThanThePathMtu_IsFragmentedLikeSingleSendsInsteadOfDropped()
    {
        // Two namespaces joined by a veth pair with MTU 1280: datagrams of 1300 bytes do not fit one
        // frame. Sent one by one the kernel fragments them (IP_PMTUDISC_WANT); a UDP_SEGMENT send of
        // them is refused with EMSGSIZE, which must not lose them.
        using var left = NetworkNamespace.Create();
        using var right = NetworkNamespace.Create();
        var leftName = left.Name + "a";
        var rightName = right.Name + "b";
        Shell.Run("ip", "link", "add", leftName, "netns", left.Name, "type", "veth", "peer", "name", rightName, "netns", right.Name);
        Shell.Run("ip", "-n", left.Name, "addr", "add", "10.79.0.1/24", "dev", leftName);
        Shell.Run("ip", "-n", right.Name, "addr", "add", "10.79.0.2/24", "dev", rightName);
        Shell.Run("ip", "-n", left.Name, "link", "set", leftName, "mtu", "1280", "up");
        Shell.Run("ip", "-n", right.Name, "link", "set", rightName, "mtu", "1280", "up");

        using var receiver = right.Run(() => new UdpBatchSocket(0), TimeSpan.FromSeconds(5));
        using var sender = left.Run(() => new UdpBatchSocket(0, offloads: true), TimeSpan.FromSeconds(5));
        var destination = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("10.79.0.2"), receiver.LocalPort));
        var datagrams = EqualRun(4, 1300, lastLength: 1300);

        Assert.Equal(4, Send(sender, datagrams.Select(d => (d, destination)).ToList()));
        Assert.Equal(0, sender.SendErrors);
        Assert.True(sender.Gso, "EMSGSIZE is about this batch's size, not a kernel without GSO: GSO should stay on.");
        AssertSameDatagrams(datagrams, Receive(receiver, 4).Select(m => m.Data).ToList());
    }

    private static List<byte[]> EqualRun(int count, int length, int lastLength) =>
        Enumerable.Range(0, count).Select(i => LinuxTunOffloadTests.Pattern(i == count - 1 ? lastLength : length, seed: i)).ToList();

    private static int Send(UdpBatchSocket socket, List<(byte[] Data, UdpAddress To)> datagrams)
    {
        var slot = datagrams.Max(d => d.Data.Length);
        var buffer = new byte[slot * datagrams.Count];
        for (var i = 0; i < datagrams.Count; i++)
        {
            datagrams[i].Data.CopyTo(buffer, i * slot);
        }

        return socket.SendBatch(buffer, slot, datagrams.Select(d => d.Data.Length).ToArray(), datagrams.Select(d => d.To).ToArray());
    }

    private sealed record Message(byte[] Data, int SegmentSize, UdpAddress Source);

    /// <summary>Receives until the messages hold <paramref name="datagrams"/> datagrams (coalesced ones counted by segment).</summary>
    private static List<Message> Receive(UdpBatchSocket socket, int datagrams)
    {
        var messages = new List<Message>();
        TestNetwork.RunWithTimeout(() =>
        {
            var buffer = new byte[ReceiveSlot * 8];
            var lengths = new int[8];
            var sources = new UdpAddress[8];
            var segments = new int[8];
            var count = 0;
            while (count < datagrams)
            {
                var n = socket.ReceiveBatch(buffer, ReceiveSlot, lengths, sources, segments);
                Assert.NotEqual(0, n);
                for (var i = 0; i < n; i++)
                {
                    var message = new Message(buffer.AsSpan(i * ReceiveSlot, lengths[i]).ToArray(), segments[i], sources[i]);
                    messages.Add(message);
                    count += Recut(message).Count();
                }
            }

            return true;
        }, TimeSpan.FromSeconds(5), socket.Dispose, $"Receiving {datagrams} datagrams");
        return messages;
    }

    /// <summary>Cuts a coalesced message back into its datagrams: every segment is SegmentSize bytes but the last.</summary>
    private static IEnumerable<byte[]> Recut(Message message)
    {
        if (message.SegmentSize == 0)
        {
            yield return message.Data;
            yield break;
        }

        for (var offset = 0; offset < message.Data.Length; offset += message.SegmentSize)
        {
            yield return message.Data.AsSpan(offset, Math.Min(message.SegmentSize, message.Data.Length - offset)).ToArray();
        }
    }

    private static void AssertSameDatagrams(List<byte[]> sent, List<byte[]> received)
    {
        Assert.Equal(sent.Select(d => d.Length), received.Select(d => d.Length));
        for (var i = 0; i < sent.Count; i++)
        {
            Assert.True(sent[i].AsSpan().SequenceEqual(received[i]), $"Datagram {i} ({sent[i].Length} bytes) arrived altered.");
        }
    }
}
