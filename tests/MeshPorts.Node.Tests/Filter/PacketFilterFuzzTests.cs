using System.Diagnostics;
using MeshPorts.Node.Filter;
using MeshPorts.TestKit;
using static MeshPorts.Node.Tests.Filter.FilterHarness;
using static MeshPorts.Node.Tests.Filter.FilterPackets;

namespace MeshPorts.Node.Tests.Filter;

public class PacketFilterFuzzTests
{
    private const int Iterations = 100_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    private static byte[][] Seeds() =>
    [
        Tcp(Remote4, 40000, Local4, 5432, 1000, 0, Syn),
        Tcp(Remote6, 40000, Local6, 5432, 1001, 5001, Ack, 30),
        Tcp(Local4, 5432, Remote4, 40000, 5000, 1001, Syn | Ack),
        TestPackets.Udp(Remote4, 5000, Local4, 53, [1, 2, 3, 4]),
        TestPackets.Udp(Remote6, 5000, Local6, 53, [1, 2, 3, 4]),
        TestPackets.IcmpEcho(Remote4, Local4, 3, 4, 16),
        TestPackets.IcmpEcho(Remote6, Local6, 3, 4, 16),
    ];

    [Fact]
    public void RandomAndMutatedPackets_NeverThrow_AndEveryPacketIsCounted()
    {
        var h = new FilterHarness(new FilterOptions { MaxFlows = 1024 });
        h.Filter.ReplaceRules([Rule("r", Laptop, 5432), Grant("g", Laptop, 53, Start.AddSeconds(2), FilterProtocol.Udp)]);
        var seeds = Seeds();
        var random = new Random(4242);
        var stopwatch = Stopwatch.StartNew();
        var done = 0;
        var allowed = 0;
        for (; done < Iterations && stopwatch.Elapsed < Budget; done++)
        {
            var packet = Mutate(random, seeds);
            var peer = random.Next(4) == 0 ? Ci : Laptop;
            var verdict = random.Next(2) == 0 ? h.In(peer, packet) : h.Out(peer, packet);
            Assert.True(verdict.TunResetLength is 0 or 40 or 60 && verdict.PeerResetLength is 0 or 40 or 60, verdict.ToString());
            if (verdict.Action == FilterAction.Cut)
            {
                if (verdict.TunResetLength > 0)
                {
                    Assert.True(TcpSegment.Parse(h.TunReset.AsSpan(0, verdict.TunResetLength)).TcpChecksumValid);
                }

                if (verdict.PeerResetLength > 0)
                {
                    Assert.True(TcpSegment.Parse(h.PeerReset.AsSpan(0, verdict.PeerResetLength)).TcpChecksumValid);
                }
            }

            allowed += verdict.IsAllowed ? 1 : 0;
            if (done % 1000 == 0)
            {
                h.Time.Advance(TimeSpan.FromMilliseconds(250));
                h.Filter.Sweep();
            }
        }

        Assert.True(done >= 10_000, $"only {done} iterations ran within {Budget}; the filter is far too slow");
        Assert.Equal(done, h.Filter.Counters.Allowed + h.Filter.Counters.TotalDenied);
        Assert.Equal(allowed, h.Filter.Counters.Allowed);
        Assert.True(h.Filter.Counters.Denied(FilterReason.Malformed) > 0, "the fuzzer never produced a malformed packet");
        Assert.True(allowed > 0, "the fuzzer never produced an acceptable packet");
        Assert.InRange(h.Filter.FlowCount, 0, 1024);
    }

    private static byte[] Mutate(Random random, byte[][] seeds)
    {
        switch (random.Next(5))
        {
            case 0:
                var noise = new byte[random.Next(0, 80)];
                random.NextBytes(noise);
                if (noise.Length > 0)
                {
                    noise[0] = (byte)((random.Next(2) == 0 ? 0x40 : 0x60) | (noise[0] & 0x0F));
                }

                return noise;
            case 1:
                var seed = seeds[random.Next(seeds.Length)];
                return seed[..random.Next(0, seed.Length + 1)];
            default:
                var packet = (byte[])seeds[random.Next(seeds.Length)].Clone();
                var flips = random.Next(1, 4);
                for (var i = 0; i < flips; i++)
                {
                    packet[random.Next(packet.Length)] = (byte)random.Next(256);
                }

                return packet;
        }
    }
}
