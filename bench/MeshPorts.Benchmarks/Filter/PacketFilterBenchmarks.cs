using System.Net;
using BenchmarkDotNet.Attributes;
using MeshPorts.Node.Filter;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Benchmarks.Filter;

/// <summary>
/// The stateful filter's per-packet verdict on an established inbound TCP flow (a peer connected to an
/// exposed port under a grant): parse, flow lookup, grant still active, sequence tracking. Inbound is a
/// data segment from the peer, Outbound the local service's reply. Uses the system clock, as the node does.
/// </summary>
[MemoryDiagnoser]
public class PacketFilterBenchmarks
{
    private const string Local = "100.64.0.1";
    private const string Remote = "100.64.0.2";
    private const ushort ServicePort = 5432;
    private const ushort ClientPort = 40000;

    private readonly byte[] _tunReset = new byte[PacketFilter.ResetBufferSize];
    private readonly byte[] _peerReset = new byte[PacketFilter.ResetBufferSize];
    private PacketFilter _filter = null!;
    private WgKey _peer;
    private byte[] _inbound = [];
    private byte[] _outbound = [];
    private long _refused;

    [GlobalSetup]
    public void Setup()
    {
        _peer = WgKey.GeneratePrivate().PublicFromPrivate();
        _filter = new PacketFilter(TimeProvider.System, [IPAddress.Parse(Local)]);
        _filter.ReplaceRules([new FilterRule("grant-1", FilterRuleKind.Grant, _peer, FilterProtocol.Tcp, ServicePort, DateTimeOffset.UtcNow.AddHours(24))]);

        // The three-way handshake puts the flow in Established.
        Expect(_filter.Inbound(_peer, TcpSegment.IPv4(Remote, ClientPort, Local, ServicePort, TcpSegment.Syn, 1000, 0, 0), _tunReset, _peerReset));
        Expect(_filter.Outbound(_peer, TcpSegment.IPv4(Local, ServicePort, Remote, ClientPort, TcpSegment.Syn | TcpSegment.Ack, 5000, 1001, 0), _tunReset, _peerReset));
        Expect(_filter.Inbound(_peer, TcpSegment.IPv4(Remote, ClientPort, Local, ServicePort, TcpSegment.Ack, 1001, 5001, 0), _tunReset, _peerReset));
        _inbound = TcpSegment.IPv4(Remote, ClientPort, Local, ServicePort, TcpSegment.Ack | TcpSegment.Psh, 1001, 5001, 100);
        _outbound = TcpSegment.IPv4(Local, ServicePort, Remote, ClientPort, TcpSegment.Ack | TcpSegment.Psh, 5001, 1101, 100);
    }

    [Benchmark]
    public int Inbound() => Check(_filter.Inbound(_peer, _inbound, _tunReset, _peerReset));

    [Benchmark]
    public int Outbound() => Check(_filter.Outbound(_peer, _outbound, _tunReset, _peerReset));

    [GlobalCleanup]
    public void Verify()
    {
        if (_refused != 0 || _filter.FlowCount != 1)
        {
            throw new InvalidOperationException($"{_refused} packets refused, {_filter.FlowCount} flows: the flow did not stay established.");
        }
    }

    private static void Expect(FilterVerdict verdict)
    {
        if (!verdict.IsAllowed)
        {
            throw new InvalidOperationException($"Setting up the flow failed: {verdict}.");
        }
    }

    private int Check(FilterVerdict verdict)
    {
        if (!verdict.IsAllowed)
        {
            _refused++;
        }

        return (int)verdict.Action;
    }
}
