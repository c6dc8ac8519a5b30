using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Noise;

namespace MeshPorts.WireGuard;

/// <summary>
/// Make-before-break rotation of static keys. Transport keys depend only on the handshake that made
/// them, not on the static keys afterwards, so established keypairs survive both steps untouched;
/// only what a future handshake uses (static-static DH, mac1/cookie keys, the in-flight exchange)
/// is redone. The first handshake under the new keys then replaces the old sessions like any rekey.
/// </summary>
public sealed partial class WireGuardEngine
{
    /// <summary>
    /// Re-keys the peer known as <paramref name="oldKey"/> to <paramref name="newKey"/>, keeping the same
    /// <see cref="Peer"/> (endpoint, counters, <see cref="Peer.DeviceState"/>, keepalive, sessions, staged
    /// packets). Sequencing: call this on every node B when the coordinator publishes A's new key, before
    /// A calls <see cref="RotatePrivateKey"/>. Until A switches, A's initiations under the old key are
    /// dropped as <see cref="DropReason.RetiredPeerKey"/> while data keeps flowing on the old session.
    /// </summary>
    /// <returns>False if no peer has <paramref name="oldKey"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="newKey"/> is our own public key or another peer's.</exception>
    public bool ReplacePeerKey(WgKey oldKey, WgKey newKey)
    {
        lock (_configLock)
        {
            if (!_peers.TryGetValue(oldKey, out var peer))
            {
                return false;
            }

            if (oldKey == newKey)
            {
                return true;
            }

            var identity = _identity;
            if (identity is not null && identity.PublicKey == newKey)
            {
                throw new ArgumentException("A peer cannot have this interface's own public key.", nameof(newKey));
            }

            if (_peers.ContainsKey(newKey))
            {
                throw new ArgumentException("Another peer already has this public key.", nameof(newKey));
            }

            _peers.Remove(oldKey);
            _peers.Add(newKey, peer);
            ForgetRetiredKeysLocked(peer);
            _retiredPeerKeys.Remove(newKey);
            _retiredPeerKeys[oldKey] = peer;
            lock (peer.SyncRoot)
            {
                // The newest initiation timestamp is kept on purpose: the same node's clock keeps
                // counting, so a replay of anything it sent before stays a replay.
                peer.ReplacePublicKeyLocked(newKey);

                // An initiation in flight was sealed to the old key; the retransmit timer stays armed,
                // so the retry goes out under the new key.
                DropInFlightHandshakeLocked(peer);
                ComputeStaticStaticLocked(peer, identity);
            }

            WireGuardEngineLog.PeerKeyReplaced(_logger, peer);
            return true;
        }
    }

    /// <summary>
    /// Switches our static key without dropping any session, then re-handshakes (at the next
    /// <see cref="Tick"/>) with every peer that has a session, so the new key is proven while data
    /// keeps flowing on the old session (an unconfirmed responder session or an initiation in flight
    /// counts too). Sequencing: call it on node A once the coordinator reports
    /// that every peer has A's new public key (each called <see cref="ReplacePeerKey"/>), or after a
    /// bounded timeout. A peer that never learned the new key refuses the new handshakes; its old
    /// session then carries data until REJECT_AFTER_TIME (180 s) and traffic stops: it fails closed.
    /// A peer whose key is our new public key is removed, as in <see cref="SetPrivateKey"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="newPrivateKey"/> is all zeros (use SetPrivateKey(null) to clear).</exception>
    public void RotatePrivateKey(WgKey newPrivateKey)
    {
        if (newPrivateKey.IsZero)
        {
            throw new ArgumentException("A rotation needs a key; SetPrivateKey(null) clears it.", nameof(newPrivateKey));
        }

        lock (_configLock)
        {
            var old = _identity;
            if (old is null)
            {
                // No key means no sessions: there is nothing to keep.
                SetPrivateKeyLocked(newPrivateKey);
                return;
            }

            if (old.PrivateKey == newPrivateKey)
            {
                return;
            }

            var identity = new StaticIdentity(newPrivateKey, newPrivateKey.PublicFromPrivate());
            _identity = identity;
            _cookieChecker.Initialize(identity.PublicKey.AsSpan());
            var now = Now();
            var rehandshakes = 0;
            foreach (var peer in _peers.Values.ToList())
            {
                if (peer.PublicKey == identity.PublicKey)
                {
                    RemovePeerLocked(peer);
                    continue;
                }

                lock (peer.SyncRoot)
                {
                    var wasInFlight = DropInFlightHandshakeLocked(peer);
                    ComputeStaticStaticLocked(peer, identity);
                    if (peer.Current is not null || peer.Next is not null || wasInFlight)
                    {
                        // Not rate limited by the last initiation (it was under the old key); jittered
                        // so a node with many peers does not send every initiation in one burst.
                        peer.LastSentHandshake = long.MinValue / 2;
                        peer.RotationHandshakeAt = now + Jitter();
                        rehandshakes++;
                    }
                }
            }

            WireGuardEngineLog.PrivateKeyRotated(_logger, _peers.Count, rehandshakes);
        }
    }

    /// <summary>True if an initiation naming <paramref name="key"/> comes from a peer re-keyed away from it.</summary>
    private bool IsRetiredPeerKey(WgKey key)
    {
        lock (_configLock)
        {
            return _retiredPeerKeys.ContainsKey(key);
        }
    }

    private void ForgetRetiredKeysLocked(Peer peer)
    {
        foreach (var (key, owner) in _retiredPeerKeys.ToList())
        {
            if (ReferenceEquals(owner, peer))
            {
                _retiredPeerKeys.Remove(key);
            }
        }
    }

    /// <summary>Forgets an initiation we sent and still await a response to; true if there was one.</summary>
    private bool DropInFlightHandshakeLocked(Peer peer)
    {
        var hs = peer.Handshake;
        var inFlight = hs.State == HandshakeState.InitiationCreated;
        Indices.Remove(hs.LocalIndex);
        hs.ClearExchange();
        return inFlight;
    }
}
