using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;
using MeshPorts.WireGuard.Tests.Harness;

namespace MeshPorts.WireGuard.Tests.Engine;

public class ConcurrencyTests
{
    private sealed class Sink : IEngineOutput
    {
        public void SendDatagram(PeerEndpoint destination, ReadOnlySpan<byte> datagram)
        {
        }
    }

    [Fact]
    public void SendingAndReceivingOnSeveralThreads_WhileSessionsAreZeroed_NeverThrows()
    {
        for (var round = 0; round < 20; round++)
        {
            var net = new TestNetwork(seed: round);
            var (a, b, bOnA, _) = net.Pair();
            a.Send(bOnA, Packets.Make(20, 9));
            net.Pump();
            Assert.True(bOnA.HasCurrentKeypair);

            // Pre-encrypt traffic for the receive threads.
            var datagrams = new List<byte[]>();
            var buffer = new byte[256];
            for (var i = 0; i < 400; i++)
            {
                var r = a.Engine.ProcessOutbound(bOnA, Packets.Make(100, (byte)i), buffer, new Sink());
                datagrams.Add(buffer[..r.Length]);
            }

            var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
            using var start = new ManualResetEventSlim();
            var threads = new List<Thread>();
            for (var t = 0; t < 3; t++)
            {
                var offset = t;
                threads.Add(new Thread(() =>
                {
                    try
                    {
                        start.Wait();
                        var outBuffer = new byte[256];
                        var plain = new byte[256];
                        for (var i = offset; i < datagrams.Count; i += 3)
                        {
                            a.Engine.ProcessOutbound(bOnA, Packets.Make(100, (byte)i), outBuffer, new Sink());
                            b.Engine.ProcessInbound(datagrams[i], a.Endpoint, plain, new Sink());
                        }
                    }
                    catch (Exception e)
                    {
                        errors.Enqueue(e);
                    }
                }));
            }

            threads.Add(new Thread(() =>
            {
                try
                {
                    start.Wait();
                    a.Engine.Tick(new Sink());
                    b.Engine.RemovePeer(a.PublicKey);
                    a.Engine.RemovePeer(b.PublicKey);
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
            }));

            threads.ForEach(t => t.Start());
            start.Set();
            threads.ForEach(t => t.Join());
            Assert.Empty(errors);
            Assert.Equal(0, a.Engine.Indices.Count);
            Assert.Equal(0, b.Engine.Indices.Count);
        }
    }
    [Fact]
    public void PeerKeyReplacedOverAndOver_WhileTheDataPathRuns_NeverThrows_AndLosesNoPacket()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, aOnB) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 9));
        net.Pump();
        var k1 = a.PublicKey;
        var k2 = WgKey.GeneratePrivate().PublicFromPrivate();
        var datagrams = new List<byte[]>();
        var buffer = new byte[256];
        for (var i = 0; i < 1000; i++)
        {
            var r = a.Engine.ProcessOutbound(bOnA, Packets.Make(100, (byte)i), buffer, new Sink());
            datagrams.Add(buffer[..r.Length]);
        }

        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var delivered = 0;
        var torn = 0;
        using var start = new ManualResetEventSlim();
        var receiver = new Thread(() =>
        {
            try
            {
                start.Wait();
                var plain = new byte[256];
                var outBuffer = new byte[256];
                foreach (var datagram in datagrams)
                {
                    if (b.Engine.ProcessInbound(datagram, a.Endpoint, plain, new Sink()).Action == InboundAction.WriteToTun)
                    {
                        delivered++;
                    }

                    b.Engine.ProcessOutbound(aOnB, Packets.Make(60, 1), outBuffer, new Sink());
                    var key = aOnB.PublicKey;
                    if (key != k1 && key != k2)
                    {
                        torn++;
                    }
                }
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        });
        var configurator = new Thread(() =>
        {
            try
            {
                start.Wait();
                for (var i = 0; i < 1000; i++)
                {
                    var (from, to) = i % 2 == 0 ? (k1, k2) : (k2, k1);
                    Assert.True(b.Engine.ReplacePeerKey(from, to));
                }
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        });

        receiver.Start();
        configurator.Start();
        start.Set();
        receiver.Join();
        configurator.Join();

        Assert.Empty(errors);
        Assert.Equal(0, torn);
        Assert.Equal(datagrams.Count, delivered);
        Assert.Equal(k1, aOnB.PublicKey);
        Assert.True(b.Engine.TryGetPeer(k1, out var same));
        Assert.Same(aOnB, same);
    }
}
