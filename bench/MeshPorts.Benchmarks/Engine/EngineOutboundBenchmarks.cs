using BenchmarkDotNet.Attributes;
using MeshPorts.WireGuard;

namespace MeshPorts.Benchmarks.Engine;

/// <summary>
/// WireGuardEngine.ProcessOutbound for an established peer: header, padding, ChaCha20-Poly1305 seal,
/// counters and timer bookkeeping under the peer lock. The real system clock is used (its read is part
/// of the per-packet cost); each benchmark process lives far less than REKEY_AFTER_TIME (120 s), so no
/// rekey happens while measuring, and <see cref="Verify"/> fails the run if any packet was not sent.
/// </summary>
[MemoryDiagnoser]
public class EngineOutboundBenchmarks
{
    private EnginePair _pair = null!;
    private byte[] _packet = [];
    private byte[] _datagram = [];
    private long _notSent;

    [Params(64, 1420)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _pair = new EnginePair(TimeProvider.System);
        _pair.Establish();
        _packet = new byte[Size];
        Random.Shared.NextBytes(_packet);
        _datagram = new byte[Size + WireGuardEngine.MessageOverhead + 16];
    }

    [Benchmark]
    public int ProcessOutbound()
    {
        var result = _pair.A.ProcessOutbound(_pair.BOnA, _packet, _datagram, _pair.OutA);
        if (result.Action != OutboundAction.Send)
        {
            _notSent++;
        }

        return result.Length;
    }

    [GlobalCleanup]
    public void Verify()
    {
        if (_notSent != 0 || _pair.OutA.Discarded != 0)
        {
            throw new InvalidOperationException($"{_notSent} packets were not sent and {_pair.OutA.Discarded} extra datagrams emitted: the benchmark left the steady state.");
        }
    }
}
