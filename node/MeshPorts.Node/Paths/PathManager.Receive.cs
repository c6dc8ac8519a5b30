using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Paths;

internal sealed partial class PathManager
{
    /// <summary>
    /// Takes a probe from the WireGuard socket. Checks in order of cost: framing, then a current peer's
    /// key in the header (no cryptography for strangers), the tag, the sender's clock, the replay cache.
    /// A ping is answered with a same-size pong to its source; a pong counts only for a ping of ours in
    /// flight, from the address that ping went to.
    /// </summary>
    public void HandleProbe(ReadOnlySpan<byte> datagram, in PeerEndpoint source)
    {
        if (!ProbeCodec.TryReadSender(datagram, out var sender))
        {
            Counters.DropMalformed();
            return;
        }

        Span<byte> reply = stackalloc byte[ProbeCodec.PacketSize];
        var replyTo = default(PeerEndpoint);
        lock (_lock)
        {
            if (_disposed || !_byKey.TryGetValue(sender, out var state))
            {
                Counters.DropUnknownSender();
                return;
            }

            var now = Now();
            state.KeysFor(sender, _keyScratch);
            var result = ProbeOpenResult.BadTag;
            ProbeKey? used = null;
            var message = default(ProbeMessage);
            foreach (var key in _keyScratch)
            {
                if (key.OwnPublic != _ownPublic && now >= _previousOwnUntil)
                {
                    continue;
                }

                result = ProbeCodec.Open(datagram, key.Bytes, out message);
                if (result != ProbeOpenResult.BadTag)
                {
                    used = key;
                    break;
                }
            }

            switch (result)
            {
                case ProbeOpenResult.BadTag:
                    Counters.DropBadTag();
                    return;
                case ProbeOpenResult.Malformed:
                    Counters.DropMalformed();
                    return;
            }

            var wallMs = WallMs();
            if (Math.Abs(message.SenderTimeMs - wallMs) > (long)_options.ClockWindow.TotalMilliseconds)
            {
                Counters.DropStale();
                return;
            }

            switch (state.Replay.TryAdd(message.Kind, message.TxId, message.SenderTimeMs, wallMs))
            {
                case ProbeReplayVerdict.Replay:
                    Counters.DropReplay();
                    return;
                case ProbeReplayVerdict.Full:
                    Counters.DropFlood();
                    return;
            }

            state.LastHeardKey = used;
            state.LastHeardAt = now;
            if (message.Kind == ProbeKind.Ping)
            {
                Counters.PingReceived();
                if (!ProbeTargets.IsAllowed(source))
                {
                    Counters.RefuseTarget();
                    return;
                }

                var pong = new ProbeMessage(ProbeKind.Pong, message.TxId, wallMs, source);
                ProbeCodec.Seal(pong, used!.OwnPublic, used.Bytes, reply);
                replyTo = source;

                // The peer reached us from there: probe back (a peer-reflexive candidate), never use it unanswered.
                AddExtraCandidate(state, source, CandidateSource.Learned, now);
            }
            else
            {
                Counters.PongReceived();
                TakePong(state, message, source, now);
            }
        }

        if (replyTo.IsSet && _underlay.SendUnderlay(reply, replyTo))
        {
            Counters.PongSent();
        }
    }

    private void TakePong(PeerPathState state, in ProbeMessage message, in PeerEndpoint source, TimeSpan now)
    {
        if (!_pending.TryGetValue(message.TxId, out var ping) || ping.NodeId != state.NodeId)
        {
            Counters.DropUnsolicited();
            return;
        }

        if (ping.Target != source)
        {
            // Authentic, but from elsewhere than the ping went: probe that address in its own right, and
            // keep the ping pending for the answer from its target.
            Counters.DropUnsolicited();
            AddExtraCandidate(state, source, CandidateSource.Learned, now);
            return;
        }

        _pending.Remove(message.TxId);
        if (state.Find(source) is not { } candidate)
        {
            return;
        }

        candidate.LastPong = now;
        candidate.RoundTrip = now - ping.SentAt;
        if (ProbeTargets.IsAllowed(message.Observed))
        {
            if (_observedSelf.Count < 16 || _observedSelf.ContainsKey(message.Observed))
            {
                _observedSelf[message.Observed] = now;
            }
        }

        Evaluate(state, now);
    }
}
