using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Paths;

internal sealed partial class PathManager
{
    /// <summary>
    /// A call_me from <paramref name="fromNodeId"/>: ping all its candidates now and burst for a while, so
    /// both NATs open at the same moment. Ignored (and counted) unless the node is a current peer.
    /// </summary>
    public void OnCallMe(string fromNodeId, IReadOnlyList<string> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var sends = new List<OutgoingProbe>();
        lock (_lock)
        {
            if (string.IsNullOrEmpty(fromNodeId) || !_peers.TryGetValue(fromNodeId, out var state))
            {
                Counters.IgnoreCallMe();
                return;
            }

            var now = Now();
            foreach (var text in endpoints.Take(_options.MaxCallMeCandidates))
            {
                if (PeerEndpoint.TryParse(text, out var endpoint))
                {
                    AddExtraCandidate(state, endpoint, CandidateSource.CallMe, now);
                }
            }

            // The coordinator lets a peer send 4 a second: more than one round per burst interval is waste.
            if (state.LastCallMeAt is not { } last || now - last >= _options.BurstInterval)
            {
                state.LastCallMeAt = now;
                StartBurst(state, now);
                CollectDuePings(state, now, sends);
            }
        }

        Flush(sends);
    }

    /// <summary>One schedule step: due pings, path choices, CallMe requests. The timer calls it; tests too.</summary>
    internal void Tick()
    {
        var sends = new List<OutgoingProbe>();
        var callMes = new List<string>();
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var now = Now();
            ExpireLocked(now);
            foreach (var state in _peers.Values)
            {
                Evaluate(state, now);
                CollectDuePings(state, now, sends);
            }

            DrainCallMes(now, callMes);
        }

        Flush(sends);
        foreach (var nodeId in callMes)
        {
            _callMe.RequestCallMe(nodeId);
        }
    }

    private void SafeTick()
    {
        try
        {
            Tick();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The next tick tries again; a timer callback must not take the process down.
            PathLog.TickFailed(_logger, ex.Message);
        }
    }

    private void ExpireLocked(TimeSpan now)
    {
        foreach (var (txId, ping) in _pending)
        {
            if (now - ping.SentAt >= _options.AliveFor || !_peers.ContainsKey(ping.NodeId))
            {
                _pending.Remove(txId);
            }
        }

        foreach (var (endpoint, seen) in _observedSelf)
        {
            if (now - seen >= _options.IdleInterval * 6)
            {
                _observedSelf.Remove(endpoint);
            }
        }

        if (_previousOwnPrivate is not null && now >= _previousOwnUntil)
        {
            _previousOwnPrivate = null;
            foreach (var state in _peers.Values)
            {
                state.ReplaceKeys(DeriveKeys(state.Peer));
            }
        }
    }

    private void StartBurst(PeerPathState state, TimeSpan now)
    {
        state.BurstUntil = now + _options.BurstDuration;
        foreach (var candidate in state.Candidates)
        {
            candidate.NextPingAt = now;
        }
    }

    /// <summary>
    /// The choice of docs/nat.md: the alive direct candidate with the lowest round trip (a verified one
    /// that is still alive is kept unless another is clearly faster), else the relay, else (no relay
    /// reaches the peer) the direct endpoint it had or its first netmap candidate.
    /// </summary>
    private void Evaluate(PeerPathState state, TimeSpan now)
    {
        var current = state.Desired;
        CandidateState? best = null;
        foreach (var candidate in state.Candidates)
        {
            if (candidate.IsAlive(now, _options.AliveFor) && (best is null || candidate.RoundTrip < best.RoundTrip))
            {
                best = candidate;
            }
        }

        if (best is not null && current is { Kind: PathKind.Direct, Verified: true } && best.Endpoint != current.Endpoint &&
            state.Find(current.Endpoint) is { } held && held.IsAlive(now, _options.AliveFor) && !ClearlyFaster(best, held))
        {
            best = held;
        }

        PathChoice desired;
        if (best is not null)
        {
            desired = PathChoice.Direct(best.Endpoint, verified: true);
        }
        else if (state.Peer.HomeRelay is not null && _relay.TransportFor(state.NodeId) != RelayTransport.None)
        {
            desired = PathChoice.Relay;
        }
        else if (current.Kind == PathKind.Direct)
        {
            desired = current;
        }
        else
        {
            var first = state.Candidates.FirstOrDefault(c => c.Source == CandidateSource.Netmap);
            desired = first is null ? PathChoice.None : PathChoice.Direct(first.Endpoint, verified: false);
        }

        if (current is { Kind: PathKind.Direct, Verified: true } && desired != current && !desired.Verified)
        {
            // The direct path died: probe hard again, and ask the peer to probe back.
            StartBurst(state, now);
            QueueCallMe(state.NodeId);
        }

        state.Desired = desired;
    }

    private static bool ClearlyFaster(CandidateState challenger, CandidateState held) =>
        challenger.RoundTrip is { } a && held.RoundTrip is { } b &&
        a + TimeSpan.FromMilliseconds(Math.Max(1, b.TotalMilliseconds / 10)) < b;

    private void CollectDuePings(PeerPathState state, TimeSpan now, List<OutgoingProbe> sends)
    {
        var directWorks = state.Desired is { Kind: PathKind.Direct, Verified: true };
        foreach (var candidate in state.Candidates)
        {
            if (now < candidate.NextPingAt)
            {
                continue;
            }

            var interval = directWorks && candidate.Endpoint == state.Desired.Endpoint ? _options.DirectInterval
                : now < state.BurstUntil ? _options.BurstInterval
                : _options.IdleInterval;
            candidate.NextPingAt = now + interval;
            if (SendKey(state, now) is not { } key)
            {
                continue;
            }

            var txId = ProbeTxId.NewRandom();
            var datagram = new byte[ProbeCodec.PacketSize];
            ProbeCodec.Seal(new ProbeMessage(ProbeKind.Ping, txId, WallMs(), default), key.OwnPublic, key.Bytes, datagram);
            _pending[txId] = new PendingPing(state.NodeId, candidate.Endpoint, now);
            sends.Add(new OutgoingProbe(datagram, candidate.Endpoint));
        }
    }

    /// <summary>
    /// Pings go under this node's current key, to the peer key the peer last sent under while that is
    /// fresh; otherwise (a rotation under way on the peer) they alternate between its current and previous key.
    /// </summary>
    private ProbeKey? SendKey(PeerPathState state, TimeSpan now)
    {
        if (state.LastHeardKey is { } heard && heard.OwnPublic == _ownPublic && now - state.LastHeardAt < _options.AliveFor * 2)
        {
            return heard;
        }

        ProbeKey? first = null;
        ProbeKey? second = null;
        foreach (var key in state.Keys)
        {
            if (key.OwnPublic != _ownPublic)
            {
                continue;
            }

            if (first is null)
            {
                first = key;
            }
            else
            {
                second ??= key;
            }
        }

        if (second is null)
        {
            return first;
        }

        state.SendKeyTurn++;
        return (state.SendKeyTurn & 1) == 0 ? second : first;
    }

    private void DrainCallMes(TimeSpan now, List<string> callMes)
    {
        _callMeTokens = Math.Min(_options.CallMesPerSecond, _callMeTokens + ((now - _callMeRefilledAt).TotalSeconds * _options.CallMesPerSecond));
        _callMeRefilledAt = now;
        while (_callMeTokens >= 1 && _callMeQueue.TryDequeue(out var nodeId))
        {
            _callMeQueued.Remove(nodeId);
            if (_peers.ContainsKey(nodeId))
            {
                _callMeTokens--;
                callMes.Add(nodeId);
            }
        }
    }

    /// <summary>Sends what was sealed under the lock, then brings the device in line with the choices.</summary>
    private void Flush(List<OutgoingProbe> sends)
    {
        foreach (var send in sends)
        {
            if (_underlay.SendUnderlay(send.Datagram, send.Destination))
            {
                Counters.PingSent();
            }
        }

        ApplyPaths();
    }

    private void ApplyPaths()
    {
        lock (_applyLock)
        {
            List<(string NodeId, PathChoice Choice)> changes = [];
            lock (_lock)
            {
                foreach (var state in _peers.Values)
                {
                    if (state.Desired != state.Applied && state.Desired.Kind != PathKind.None)
                    {
                        changes.Add((state.NodeId, state.Desired));
                        state.Applied = state.Desired;
                    }
                }
            }

            foreach (var (nodeId, choice) in changes)
            {
                var ok = choice.Kind == PathKind.Relay ? _control.UseRelay(nodeId) : _control.UseDirect(nodeId, choice.Endpoint);
                if (!ok)
                {
                    lock (_lock)
                    {
                        if (_peers.TryGetValue(nodeId, out var state) && state.Applied == choice)
                        {
                            state.Applied = PathChoice.None;
                        }
                    }

                    continue;
                }

                if (choice.Kind == PathKind.Relay)
                {
                    PathLog.Relayed(_logger, nodeId);
                }
                else
                {
                    PathLog.Direct(_logger, nodeId, choice.Endpoint.ToString(), choice.Verified);
                }
            }
        }
    }
}
