using System.Buffers.Binary;
using System.Diagnostics;
using MeshPorts.WireGuard.Tests.Harness;
using Xunit.Abstractions;

namespace MeshPorts.WireGuard.Tests.Engine;

public class FuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 200_000;
    private const int MinimumIterations = 20_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(25);

    [Fact]
    public void RandomAndMutatedDatagrams_NeverThrow_AreAllCountedAsDrops_AndTheEnginesKeepWorking()
    {
        var net = new TestNetwork(seed: 11);
        var (a, b, bOnA, aOnB) = net.Pair();

        // Collect one genuine message of every type, including a cookie reply from a loaded B.
        b.Engine.UnderLoad = true;
        a.Send(bOnA, Packets.Make(40, 1));
        net.Pump();
        b.Engine.UnderLoad = false;
        net.Run(TimeSpan.FromSeconds(5.5));
        Assert.True(aOnB.HasCurrentKeypair);
        b.Send(aOnB, Packets.Make(70, 2));
        net.Pump();

        var samples = new[]
        {
            net.Log.Last(d => d.Type == 1),
            net.Log.Last(d => d.Type == 2),
            net.Log.Last(d => d.Type == 3),
            net.Log.Last(d => d.Type == 4 && d.From == a.Endpoint),
            net.Log.Last(d => d.Type == 4 && d.From == b.Endpoint),
        };

        var random = new Random(1234);
        var dropsBefore = a.Engine.Counters.TotalDrops + b.Engine.Counters.TotalDrops;
        var plaintext = new byte[4096];
        var watch = Stopwatch.StartNew();
        var done = 0;
        for (; done < Iterations && (done < MinimumIterations || watch.Elapsed < Budget); done++)
        {
            var sample = samples[random.Next(samples.Length)];
            var datagram = Mutate(sample.Data, random);
            var target = sample.To == a.Endpoint ? a : b;
            var source = random.Next(4) == 0 ? TestNetwork.Endpoint($"203.0.113.{random.Next(1, 255)}:{random.Next(1, 65535)}") : sample.From;
            InboundResult result;
            try
            {
                result = target.Engine.ProcessInbound(datagram, source, plaintext, target);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"iteration {done}: {Convert.ToHexString(datagram)} threw {e}");
            }

            Assert.True(result.Action == InboundAction.Drop, $"iteration {done}: {Convert.ToHexString(datagram)} gave {result}");
            net.DropQueued();
        }

        output.WriteLine($"{done} mutated datagrams in {watch.Elapsed}");
        var dropsAfter = a.Engine.Counters.TotalDrops + b.Engine.Counters.TotalDrops;
        Assert.Equal(done, dropsAfter - dropsBefore);
        Assert.True(done >= MinimumIterations);

        // Endpoints were not hijacked by anything unauthenticated, and both directions still work.
        Assert.Equal(a.Endpoint, aOnB.Endpoint);
        Assert.Equal(b.Endpoint, bOnA.Endpoint);
        var aTun = a.Tun.Count;
        var bTun = b.Tun.Count;
        a.Send(bOnA, Packets.Make(33, 3));
        b.Send(aOnB, Packets.Make(44, 4));
        net.Pump();
        Assert.Equal(bTun + 1, b.Tun.Count);
        Assert.Equal(aTun + 1, a.Tun.Count);
    }

    [Fact]
    public void PureRandomBytes_OfAnyLength_AreDropped()
    {
        var net = new TestNetwork();
        var (_, b, _, _) = net.Pair();
        var random = new Random(99);
        var plaintext = new byte[2048];
        var source = TestNetwork.Endpoint("198.51.100.1:1");
        for (var i = 0; i < 20_000; i++)
        {
            var datagram = new byte[random.Next(0, 300)];
            random.NextBytes(datagram);
            if (datagram.Length >= 4 && random.Next(2) == 0)
            {
                // Make the type word plausible so the size and index checks are reached, not just the type check.
                BinaryPrimitives.WriteUInt32LittleEndian(datagram, (uint)random.Next(1, 5));
            }

            var result = b.Engine.ProcessInbound(datagram, source, plaintext, b);
            Assert.Equal(InboundAction.Drop, result.Action);
        }

        Assert.Equal(20_000, b.Engine.Counters.TotalDrops);
    }

    private static byte[] Mutate(byte[] sample, Random random)
    {
        switch (random.Next(6))
        {
            case 0:
                {
                    // Flip 1..3 bits anywhere.
                    var copy = sample.ToArray();
                    var flips = random.Next(1, 4);
                    for (var i = 0; i < flips; i++)
                    {
                        copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
                    }

                    return copy;
                }

            case 1:
                return sample[..random.Next(sample.Length)];
            case 2:
                {
                    var extra = new byte[random.Next(1, 64)];
                    random.NextBytes(extra);
                    return [.. sample, .. extra];
                }

            case 3:
                {
                    // Forge the receiver index (or the sender index of an initiation).
                    var copy = sample.ToArray();
                    var offset = copy[0] == 2 ? 8 : 4;
                    BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(offset), (uint)random.Next());
                    return copy;
                }

            case 4:
                {
                    // Overwrite a random slice with random bytes.
                    var copy = sample.ToArray();
                    var start = random.Next(copy.Length);
                    random.NextBytes(copy.AsSpan(start, random.Next(1, copy.Length - start + 1)));
                    if (copy.AsSpan().SequenceEqual(sample))
                    {
                        copy[0] ^= 0x80;
                    }

                    return copy;
                }

            default:
                {
                    // Exact replay: must be refused (stale timestamp, replayed counter, spent cookie, finished handshake).
                    return sample.ToArray();
                }
        }
    }
}
