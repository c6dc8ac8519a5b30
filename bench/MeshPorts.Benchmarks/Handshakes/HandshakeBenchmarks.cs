using BenchmarkDotNet.Attributes;
using MeshPorts.Benchmarks.Engine;
using MeshPorts.Benchmarks.Support;
using MeshPorts.WireGuard;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Messages;

namespace MeshPorts.Benchmarks.Handshakes;

/// <summary>
/// The cheap ends of the handshake: creating an initiation (ephemeral key pair, two DH, two AEAD seals,
/// mac1), and, under load, answering an initiation that lacks a valid mac2 with a cookie reply, which is
/// all a flood of spoofed initiations can make the responder do.
/// </summary>
[MemoryDiagnoser]
public class HandshakeBenchmarks
{
    private readonly byte[] _message = new byte[MessageLayout.InitiationSize];
    private readonly byte[] _scratch = new byte[256];
    private InitiatorState _initiator = null!;
    private WireGuardEngine _responder = null!;
    private CapturingOutput _output = null!;
    private byte[] _withoutMac2 = [];
    private long _unexpected;

    [GlobalSetup]
    public void Setup()
    {
        var responderKey = WgKey.GeneratePrivate();
        var initiatorKey = WgKey.GeneratePrivate();
        _initiator = new InitiatorState(initiatorKey, responderKey.PublicFromPrivate());
        _responder = new WireGuardEngine(new ManualClock()) { UnderLoad = true };
        _responder.SetPrivateKey(responderKey);
        _responder.AddPeer(initiatorKey.PublicFromPrivate());
        _output = new CapturingOutput { Keep = false };
        _withoutMac2 = new byte[MessageLayout.InitiationSize];
        _initiator.Create(_withoutMac2);
    }

    /// <summary>NoiseProtocol.CreateInitiation plus mac1/mac2, as SendInitiationLocked does it.</summary>
    [Benchmark]
    public void CreateInitiation() => _initiator.Create(_message);

    /// <summary>ProcessInbound of an initiation with a valid mac1 and no mac2, with UnderLoad set.</summary>
    [Benchmark]
    public DropReason CookieReplyUnderLoad()
    {
        var result = _responder.ProcessInbound(_withoutMac2, EnginePair.EndpointA, _scratch, _output);
        if (result.Reason != DropReason.CookieRequired)
        {
            _unexpected++;
        }

        return result.Reason;
    }

    [GlobalCleanup]
    public void Verify()
    {
        if (_unexpected != 0)
        {
            throw new InvalidOperationException($"{_unexpected} initiations were not answered with a cookie reply.");
        }
    }
}
