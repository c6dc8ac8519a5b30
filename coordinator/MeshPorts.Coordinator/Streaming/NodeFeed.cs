using System.Threading.Channels;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Mapping;
using MeshPorts.Coordinator.State;
using MeshPorts.Coordinator.State.Netmaps;

namespace MeshPorts.Coordinator.Streaming;

/// <summary>
/// One node's stream of changes: the last published state, a per-node serial, a bounded log of recent
/// deltas for resuming, and the open subscriptions. Diffing wire messages (which compare by value)
/// makes an unchanged peer cost nothing and a one-peer change one small delta.
/// </summary>
internal sealed class NodeFeed
{
    private readonly Lock _lock = new();
    private readonly int _capacity;
    private readonly LinkedList<WatchEvent> _log = new();
    private readonly List<Channel<WatchEvent>> _subscribers = [];
    private readonly List<WatchEvent> _undelivered = [];

    // Apply lag (meshports_netmap_oldest_unacked_seconds): when each serial not yet acked was produced, oldest
    // first. Bounded: past the bound the two oldest entries merge into one with the older time and the higher
    // serial, so the age can only be overstated, and only for a node that acks a serial between them.
    private readonly LinkedList<(ulong Serial, DateTimeOffset At)> _unacked = new();
    private readonly TimeProvider _time;
    private readonly string _dnsSuffix;
    private DateTimeOffset _watchingSince;
    private ulong _acked;
    private Dictionary<string, Peer> _peers = new(StringComparer.Ordinal);
    private Dictionary<string, InboundRule> _rules = new(StringComparer.Ordinal);
    private SelfInfo? _self;
    private ulong _serial;
    private bool _baseline;

    /// <param name="epoch">This coordinator process's feed epoch, unique per start among all coordinators on the
    /// database: serials are epoch &lt;&lt; 32 | count, so a serial names the process that produced it.</param>
    /// <param name="time">The coordinator's clock, for how long a change waits for the node's ack.</param>
    /// <param name="dnsSuffix">The names' suffix told to the node in its SelfInfo (--dns-suffix).</param>
    public NodeFeed(int capacity, uint epoch, TimeProvider? time = null, string dnsSuffix = Options.DnsSuffixes.Default)
    {
        _dnsSuffix = dnsSuffix;
        _capacity = capacity;
        _serial = (ulong)epoch << 32;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The node's name as last published to it (null until its first view).</summary>
    public string? Name
    {
        get
        {
            lock (_lock)
            {
                return _self?.Name;
            }
        }
    }

    /// <summary>
    /// Since when a change this node has not acked has been waiting for it, counted from when the change was
    /// produced or, if later, when the node's current stream opened (a change made while it was offline only
    /// waits on it from then on); null when the node acked everything, or has no open stream.
    /// </summary>
    public DateTimeOffset? UnackedSince
    {
        get
        {
            lock (_lock)
            {
                if (_subscribers.Count == 0 || _unacked.First is not { } oldest)
                {
                    return null;
                }

                return oldest.Value.At > _watchingSince ? oldest.Value.At : _watchingSince;
            }
        }
    }

    /// <summary>The node says it applied everything up to <paramref name="serial"/> (an Ack the coordinator checked).</summary>
    public void Acked(ulong serial)
    {
        lock (_lock)
        {
            AckedLocked(serial);
        }
    }

    private void AckedLocked(ulong serial)
    {
        if (serial > _acked)
        {
            _acked = serial;
        }

        while (_unacked.First is { } first && first.Value.Serial <= _acked)
        {
            _unacked.RemoveFirst();
        }
    }

    public bool Closed { get; private set; }

    public ulong Serial
    {
        get
        {
            lock (_lock)
            {
                return _serial;
            }
        }
    }

    public bool Online
    {
        get
        {
            lock (_lock)
            {
                return _subscribers.Count > 0;
            }
        }
    }

    /// <summary>The node ids of the peers last published to this node: its netmap as the node is told it.</summary>
    public IReadOnlyCollection<string> PeerIds()
    {
        lock (_lock)
        {
            return [.. _peers.Keys];
        }
    }

    /// <summary>This feed's serial if it last published <paramref name="peerId"/> with <paramref name="key"/>, else null.</summary>
    public ulong? SerialPublishing(string peerId, ReadOnlySpan<byte> key)
    {
        lock (_lock)
        {
            return _peers.TryGetValue(peerId, out var peer) && peer.WireguardPublicKey.Span.SequenceEqual(key) ? _serial : null;
        }
    }

    /// <summary>Applies a new view; returns the new serial if anything changed.</summary>
    public ulong? Publish(NodeView view)
    {
        var self = ProtoMapper.Self(view, _dnsSuffix);
        var peers = view.Peers.Values.Select(ProtoMapper.Peer).ToDictionary(p => p.NodeId, StringComparer.Ordinal);
        var rules = view.Rules.Values.Select(ProtoMapper.Rule).ToDictionary(r => r.Id, StringComparer.Ordinal);
        lock (_lock)
        {
            var delta = new Delta();
            if (!self.Equals(_self))
            {
                delta.Self = self;
            }

            delta.PeersUpserted.AddRange(peers.Values.Where(p => !_peers.TryGetValue(p.NodeId, out var old) || !old.Equals(p)));
            delta.PeersRemoved.AddRange(_peers.Keys.Where(k => !peers.ContainsKey(k)));
            delta.RulesAdded.AddRange(rules.Values.Where(r => !_rules.TryGetValue(r.Id, out var old) || !old.Equals(r)));
            delta.RulesRemoved.AddRange(_rules.Keys.Where(k => !rules.ContainsKey(k)));
            _self = self;
            _peers = peers;
            _rules = rules;
            if (delta.Self is null && delta.PeersUpserted.Count == 0 && delta.PeersRemoved.Count == 0 && delta.RulesAdded.Count == 0 && delta.RulesRemoved.Count == 0)
            {
                return null;
            }

            _serial++;
            NoteUnackedLocked(_serial);
            var evt = new WatchEvent { Serial = _serial, Delta = delta };
            if (!_baseline)
            {
                // The first publish after a (re)start diffs against nothing, so it is not a valid delta
                // for a node that already holds state: leave it out of the log and let such a node get a snapshot.
                _baseline = true;
                _log.Clear();
                return _serial;
            }

            _log.AddLast(evt);
            while (_log.Count > _capacity)
            {
                _log.RemoveFirst();
            }

            Broadcast(evt);
            return _serial;
        }
    }

    private void NoteUnackedLocked(ulong serial)
    {
        _unacked.AddLast((serial, _time.GetUtcNow()));
        if (_unacked.Count > _capacity + 1)
        {
            var oldest = _unacked.First!.Value;
            _unacked.RemoveFirst();
            _unacked.First!.Value = (_unacked.First.Value.Serial, oldest.At);
        }
    }

    /// <summary>
    /// Opens a subscription. If the deltas after <paramref name="resumeFrom"/> are still in the log they
    /// are replayed; otherwise the node gets a snapshot. Returns whether a snapshot was sent.
    /// </summary>
    public (ChannelReader<WatchEvent> Reader, Channel<WatchEvent> Handle, bool Snapshot) Subscribe(ulong resumeFrom)
    {
        var channel = Channel.CreateBounded<WatchEvent>(new BoundedChannelOptions(4096) { SingleReader = true });
        lock (_lock)
        {
            if (Closed)
            {
                channel.Writer.TryComplete();
                return (channel.Reader, channel, false);
            }

            // Only a serial this process produced can be resumed from: another replica's serial, or one from before
            // a restart, may be numerically in range but stand for another netmap. Those get a snapshot.
            var canResume = resumeFrom > 0 && resumeFrom >> 32 == _serial >> 32 && resumeFrom <= _serial
                && (resumeFrom == _serial || (_log.First is { } first && first.Value.Serial <= resumeFrom + 1));
            if (canResume)
            {
                // The node says it applied this serial: as good as an ack (one it sent may have been lost).
                AckedLocked(resumeFrom);
                foreach (var evt in _log.Where(e => e.Serial > resumeFrom))
                {
                    channel.Writer.TryWrite(evt);
                }
            }
            else
            {
                channel.Writer.TryWrite(new WatchEvent { Serial = _serial, Snapshot = SnapshotLocked() });
            }

            foreach (var evt in _undelivered)
            {
                evt.Serial = _serial;
                channel.Writer.TryWrite(evt);
            }

            _undelivered.Clear();
            if (_subscribers.Count == 0)
            {
                _watchingSince = _time.GetUtcNow();
            }

            _subscribers.Add(channel);
            return (channel.Reader, channel, !canResume);
        }
    }

    /// <summary>The netmap as last published: what the node holds once it applied every delta (a snapshot now would carry it).</summary>
    public Snapshot Current()
    {
        lock (_lock)
        {
            return SnapshotLocked();
        }
    }

    private Snapshot SnapshotLocked()
    {
        var snapshot = new Snapshot { Self = _self };
        snapshot.Peers.AddRange(_peers.Values);
        snapshot.InboundRules.AddRange(_rules.Values);
        return snapshot;
    }

    public void Unsubscribe(Channel<WatchEvent> handle)
    {
        lock (_lock)
        {
            _subscribers.Remove(handle);
        }
    }

    /// <summary>Sends a non-state event (rotate-now, rotation-ready); kept for the next stream if none is open.</summary>
    public void SendControl(WatchEvent evt) => Send(evt, keepForNextStream: true);

    /// <summary>Sends an event worth something only now (call-me) to the open streams; false when none is open. Never queued.</summary>
    public bool SendTransient(WatchEvent evt) => Send(evt, keepForNextStream: false);

    private bool Send(WatchEvent evt, bool keepForNextStream)
    {
        lock (_lock)
        {
            evt.Serial = _serial;
            if (_subscribers.Count == 0)
            {
                if (keepForNextStream)
                {
                    _undelivered.Add(evt);
                }

                return false;
            }

            Broadcast(evt);
            return true;
        }
    }

    public void Close()
    {
        lock (_lock)
        {
            Closed = true;
            foreach (var s in _subscribers)
            {
                s.Writer.TryComplete();
            }

            _subscribers.Clear();
        }
    }

    private void Broadcast(WatchEvent evt)
    {
        foreach (var s in _subscribers.ToList())
        {
            if (!s.Writer.TryWrite(evt))
            {
                // A consumer this far behind cannot catch up by deltas; end its stream so it resumes.
                s.Writer.TryComplete(new InvalidOperationException("stream fell too far behind; reconnect and resume"));
                _subscribers.Remove(s);
            }
        }
    }
}
