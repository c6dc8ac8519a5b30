using BenchmarkDotNet.Attributes;
using MeshPorts.Benchmarks.Engine;
using MeshPorts.Benchmarks.Support;
using MeshPorts.WireGuard;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Messages;

namespace MeshPorts.Benchmarks.Handshakes;

/// <summary>
/// The responder's whole job per handshake through WireGuardEngine.ProcessInbound: mac1 (and under load
/// mac2 plus the per-source rate limit), consume the initiation, create and send the response, derive
/// the session. An initiation is accepted once, so each iteration consumes a batch made in
/// IterationSetup. The responder's clock steps 60 ms per initiation: past the 20 ms flood guard and the
/// 50 ms rate-limit token, so neither refuses the benchmark's own traffic.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1, 1)]
[IterationCount(8)]
public class HandshakeResponseBenchmarks
{
    private const int Batch = 256;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(60);

    private readonly byte[] _scratch = new byte[256];
    private readonly byte[][] _initiations = new byte[Batch][];
    private ManualClock _clock = null!;
    private InitiatorState _initiator = null!;
    private WireGuardEngine _responder = null!;
    private CapturingOutput _output = null!;
    private long _refused;
    private DropReason _lastRefusal;

    /// <summary>True: the responder is under load, so initiations must carry mac2 from a cookie.</summary>
    [Params(false, true)]
    public bool UnderLoad { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var responderKey = WgKey.GeneratePrivate();
        var initiatorKey = WgKey.GeneratePrivate();
        _clock = new ManualClock();
        _initiator = new InitiatorState(initiatorKey, responderKey.PublicFromPrivate());
        _responder = new WireGuardEngine(_clock) { UnderLoad = UnderLoad };
        _responder.SetPrivateKey(responderKey);
        _responder.AddPeer(initiatorKey.PublicFromPrivate());
        _output = new CapturingOutput();
        for (var i = 0; i < Batch; i++)
        {
            _initiations[i] = new byte[MessageLayout.InitiationSize];
        }
    }

    [IterationSetup]
    public void MakeBatch()
    {
        if (UnderLoad)
        {
            FetchCookie();
        }

        foreach (var message in _initiations)
        {
            _initiator.Create(message);
        }

        _output.Keep = false;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void ConsumeInitiationAndRespond()
    {
        foreach (var message in _initiations)
        {
            _clock.Advance(Step);
            var result = _responder.ProcessInbound(message, EnginePair.EndpointA, _scratch, _output);
            if (result.Reason != DropReason.None)
            {
                _refused++;
                _lastRefusal = result.Reason;
            }
        }
    }

    [GlobalCleanup]
    public void Verify()
    {
        if (_refused != 0)
        {
            throw new InvalidOperationException($"{_refused} initiations were refused (last: {_lastRefusal}).");
        }
    }

    /// <summary>
    /// Lets the responder's cookie secret expire (2 minutes), then does what a real initiator does: sends
    /// an initiation, takes the cookie reply, and puts mac2 on everything after. A batch spans 256 x 60 ms,
    /// well inside the new secret's lifetime.
    /// </summary>
    private void FetchCookie()
    {
        _clock.Advance(TimeSpan.FromSeconds(121));
        _output.Keep = true;
        _output.Queue.Clear();
        var probe = new byte[MessageLayout.InitiationSize];
        _initiator.Create(probe);
        var result = _responder.ProcessInbound(probe, EnginePair.EndpointA, _scratch, _output);
        if (result.Reason != DropReason.CookieRequired || !_output.Queue.TryDequeue(out var reply) ||
            !_initiator.Cookies.ConsumeReply(reply.Data, _initiator.Now))
        {
            throw new InvalidOperationException($"No usable cookie reply ({result.Reason}).");
        }
    }
}
