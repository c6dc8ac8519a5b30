using BenchmarkDotNet.Attributes;
using MeshPorts.WireGuard;

namespace MeshPorts.Benchmarks.Engine;

/// <summary>
/// WireGuardEngine.ProcessInbound of transport packets on an established session: index lookup,
/// ChaCha20-Poly1305 open, replay window, roaming and timer bookkeeping. The replay window refuses a
/// datagram seen before, so each iteration feeds a fresh batch that A sealed in IterationSetup (not
/// measured); one invocation walks the whole batch.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1, 1)]
[IterationCount(8)]
public class EngineInboundBenchmarks
{
    private const int Batch = 32_768;

    private EnginePair _pair = null!;
    private byte[] _packet = [];
    private byte[][] _datagrams = [];
    private int[] _lengths = [];
    private byte[] _plaintext = [];
    private long _notDelivered;

    [Params(64, 1420)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _pair = new EnginePair(TimeProvider.System);
        _pair.Establish();
        _packet = new byte[Size];
        Random.Shared.NextBytes(_packet);
        _plaintext = new byte[Size + 16];
        _datagrams = new byte[Batch][];
        _lengths = new int[Batch];
        for (var i = 0; i < Batch; i++)
        {
            _datagrams[i] = new byte[Size + WireGuardEngine.MessageOverhead + 16];
        }
    }

    [IterationSetup]
    public void SealBatch()
    {
        for (var i = 0; i < Batch; i++)
        {
            var result = _pair.A.ProcessOutbound(_pair.BOnA, _packet, _datagrams[i], _pair.OutA);
            if (result.Action != OutboundAction.Send)
            {
                throw new InvalidOperationException($"A could not seal packet {i}: {result.Action} {result.Reason}.");
            }

            _lengths[i] = result.Length;
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int ProcessInbound()
    {
        var total = 0;
        for (var i = 0; i < _datagrams.Length; i++)
        {
            var result = _pair.B.ProcessInbound(_datagrams[i].AsSpan(0, _lengths[i]), EnginePair.EndpointA, _plaintext, _pair.OutB);
            if (result.Action != InboundAction.WriteToTun)
            {
                _notDelivered++;
            }

            total += result.Length;
        }

        return total;
    }

    [GlobalCleanup]
    public void Verify()
    {
        if (_notDelivered != 0 || _pair.OutB.Discarded != 0)
        {
            throw new InvalidOperationException($"{_notDelivered} packets were not delivered and {_pair.OutB.Discarded} extra datagrams emitted: the benchmark left the steady state.");
        }
    }
}
