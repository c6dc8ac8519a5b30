using MeshPorts.Node.Paths;
using MeshPorts.WireGuard.Net;
using Microsoft.Extensions.Time.Testing;

namespace MeshPorts.Node.Tests.Paths;

/// <summary>
/// An in-memory underlay on fake time: each attached address delivers to its sink after that
/// address's latency; an address nobody attached (a third party) swallows everything; a blocked
/// address neither sends nor receives.
/// </summary>
internal sealed class FakeNetwork(FakeTimeProvider time)
{
    private readonly Dictionary<PeerEndpoint, IProbeSink> _sinks = [];
    private readonly Dictionary<PeerEndpoint, TimeSpan> _latency = [];
    private readonly HashSet<PeerEndpoint> _blocked = [];
    private readonly List<ITimer> _timers = [];

    public FakeTimeProvider Time { get; } = time;

    /// <summary>Every datagram sent, in order: (from, to, bytes).</summary>
    public List<(PeerEndpoint From, PeerEndpoint To, byte[] Datagram)> Sent { get; } = [];

    public void Attach(PeerEndpoint address, IProbeSink sink, TimeSpan latency)
    {
        _sinks[address] = sink;
        _latency[address] = latency;
    }

    public void SetLatency(PeerEndpoint address, TimeSpan latency) => _latency[address] = latency;

    public void Block(PeerEndpoint address) => _blocked.Add(address);

    public void Unblock(PeerEndpoint address) => _blocked.Remove(address);

    public IUnderlaySender SenderFor(IReadOnlyList<PeerEndpoint> from) => new Sender(this, from);

    /// <summary>Delivers a datagram as if it came from <paramref name="from"/> (a spoofed or replayed one).</summary>
    public void Inject(PeerEndpoint from, PeerEndpoint to, byte[] datagram) => Send(from, to, datagram);

    /// <summary>Advances fake time in small steps, so timers and deliveries interleave in order.</summary>
    public void Run(TimeSpan duration)
    {
        var step = TimeSpan.FromMilliseconds(5);
        for (var done = TimeSpan.Zero; done < duration; done += step)
        {
            Time.Advance(step);
        }
    }

    private void Send(PeerEndpoint from, PeerEndpoint to, byte[] datagram)
    {
        Sent.Add((from, to, datagram));
        if (_blocked.Contains(from) || _blocked.Contains(to) || !_sinks.TryGetValue(to, out var sink))
        {
            return;
        }

        var latency = _latency[to] + _latency.GetValueOrDefault(from);
        ITimer? timer = null;
        timer = Time.CreateTimer(
            _ =>
            {
                timer?.Dispose();
                if (!_blocked.Contains(to) && !_blocked.Contains(from))
                {
                    sink.HandleProbe(datagram, from);
                }
            },
            null,
            latency,
            Timeout.InfiniteTimeSpan);
        _timers.Add(timer);
    }

    private sealed class Sender(FakeNetwork network, IReadOnlyList<PeerEndpoint> from) : IUnderlaySender
    {
        public bool SendUnderlay(ReadOnlySpan<byte> datagram, in PeerEndpoint destination)
        {
            var family = destination.IsIPv4;
            var source = from.FirstOrDefault(a => a.IsIPv4 == family);
            network.Send(source.IsSet ? source : from[0], destination, datagram.ToArray());
            return true;
        }
    }
}
