namespace MeshPorts.WireGuard;

/// <summary>
/// The timers of whitepaper section 6 as deadlines on the peer, checked by <see cref="Tick"/>. The event
/// hooks mirror wireguard-go's timers.go so behaviour matches the reference implementations.
/// </summary>
public sealed partial class WireGuardEngine
{
    /// <summary>Runs due timers for every peer: retries, keepalives, rekeys, give-up and zeroing. Call every ~100 ms.</summary>
    public void Tick(IEngineOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var now = Now();
        foreach (var peer in GetPeers())
        {
            lock (peer.SyncRoot)
            {
                if (!peer.Removed)
                {
                    RunTimersLocked(peer, now, output);
                }
            }
        }

        _rateLimiter.Collect(now);
    }

    /// <summary>
    /// Starts a handshake with <paramref name="peer"/> now rather than on its first packet: for a peer just
    /// added, and after a restart, when the peer still holds a session we no longer have and would send
    /// into it until its own timers notice (up to KEEPALIVE_TIMEOUT + REKEY_TIMEOUT); our handshake makes
    /// it switch on our first packet. Does nothing without a private key or an endpoint, while an
    /// initiation is in flight (its retransmit timer owns it), or within REKEY_TIMEOUT of the last one
    /// (whitepaper section 6.4). Data keeps using an existing session meanwhile.
    /// </summary>
    /// <returns>True if an initiation was sent.</returns>
    public bool InitiateHandshake(Peer peer, IEngineOutput output)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(output);
        if (!ReferenceEquals(peer.Engine, this))
        {
            throw new ArgumentException("The peer belongs to another engine.", nameof(peer));
        }

        lock (peer.SyncRoot)
        {
            if (peer.Handshake.State == Noise.HandshakeState.InitiationCreated)
            {
                return false;
            }

            return SendInitiationLocked(peer, isRetry: false, Now(), output);
        }
    }

    private void RunTimersLocked(Peer peer, long now, IEngineOutput output)
    {
        if (peer.RetransmitHandshakeAt <= now)
        {
            peer.RetransmitHandshakeAt = Peer.Never;
            if (now - peer.HandshakeStartedAt >= Constants.RekeyAttemptTime)
            {
                // Whitepaper section 6.4: after REKEY_ATTEMPT_TIME stop trying and drop what waited.
                WireGuardEngineLog.HandshakeGaveUp(_logger, peer, peer.Staged.Count);
                peer.Staged.Clear();
                peer.SendKeepaliveAt = Peer.Never;
                if (peer.ZeroKeyMaterialAt == Peer.Never)
                {
                    peer.ZeroKeyMaterialAt = now + Constants.ZeroKeyMaterialAfter;
                }
            }
            else
            {
                peer.HandshakeAttempts++;
                SendInitiationLocked(peer, isRetry: true, now, output);
            }
        }

        if (peer.SendKeepaliveAt <= now)
        {
            // Whitepaper section 6.5: passive keepalive after KEEPALIVE_TIMEOUT of receiving without sending.
            peer.SendKeepaliveAt = Peer.Never;
            SendKeepaliveLocked(peer, now, output);
            if (peer.NeedAnotherKeepalive)
            {
                peer.NeedAnotherKeepalive = false;
                peer.SendKeepaliveAt = now + Constants.KeepaliveTimeout;
            }
        }

        if (peer.NewHandshakeAt <= now)
        {
            // Sent data but heard nothing for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT: the session may be dead.
            peer.NewHandshakeAt = Peer.Never;
            SendInitiationLocked(peer, isRetry: false, now, output);
        }

        if (peer.RotationHandshakeAt <= now)
        {
            // Our static key changed: a handshake under it replaces the old session once it completes.
            peer.RotationHandshakeAt = Peer.Never;
            SendInitiationLocked(peer, isRetry: false, now, output);
        }

        if (peer.ZeroKeyMaterialAt <= now)
        {
            // Whitepaper section 6.3: nothing may outlive 3 x REJECT_AFTER_TIME without a new handshake.
            peer.ZeroKeyMaterialAt = Peer.Never;
            ZeroSessionsLocked(peer);
            peer.Staged.Clear();
            WireGuardEngineLog.SessionsZeroed(_logger, peer);
        }

        if (peer.PersistentKeepaliveAt <= now)
        {
            peer.PersistentKeepaliveAt = Peer.Never;
            if (peer.PersistentKeepaliveLocked > 0)
            {
                SendKeepaliveLocked(peer, now, output);
                if (peer.PersistentKeepaliveAt == Peer.Never)
                {
                    peer.PersistentKeepaliveAt = now + (peer.PersistentKeepaliveLocked * TimeSpan.TicksPerSecond);
                }
            }
        }
    }

    /// <summary>Whitepaper section 6.3: an initiator whose session nears REJECT_AFTER_TIME renews it once.</summary>
    private void KeepKeyFreshReceivingLocked(Peer peer, long now, IEngineOutput output)
    {
        if (peer.SentLastMinuteHandshake || peer.Current is not { IsInitiator: true } current ||
            now - current.Created < Constants.RekeyOnReceiveAge)
        {
            return;
        }

        peer.SentLastMinuteHandshake = true;
        SendInitiationLocked(peer, isRetry: false, now, output);
    }

    private void OnDataSentLocked(Peer peer, long now)
    {
        if (peer.NewHandshakeAt == Peer.Never)
        {
            peer.NewHandshakeAt = now + Constants.KeepaliveTimeout + Constants.RekeyTimeout + Jitter();
        }
    }

    private static void OnDataReceivedLocked(Peer peer, long now)
    {
        if (peer.SendKeepaliveAt == Peer.Never)
        {
            peer.SendKeepaliveAt = now + Constants.KeepaliveTimeout;
        }
        else
        {
            peer.NeedAnotherKeepalive = true;
        }
    }

    private static void OnAuthenticatedPacketSentLocked(Peer peer) => peer.SendKeepaliveAt = Peer.Never;

    private static void OnAuthenticatedPacketReceivedLocked(Peer peer) => peer.NewHandshakeAt = Peer.Never;

    private static void OnAuthenticatedPacketTraversalLocked(Peer peer, long now)
    {
        var interval = peer.PersistentKeepaliveLocked;
        if (interval > 0)
        {
            peer.PersistentKeepaliveAt = now + (interval * TimeSpan.TicksPerSecond);
        }
    }

    private void OnHandshakeInitiatedLocked(Peer peer, long now) =>
        peer.RetransmitHandshakeAt = now + Constants.RekeyTimeout + Jitter();

    private void OnHandshakeCompleteLocked(Peer peer)
    {
        peer.RetransmitHandshakeAt = Peer.Never;
        peer.HandshakeAttempts = 0;
        peer.SentLastMinuteHandshake = false;
        peer.SetLastHandshake(UtcNow());
    }

    private static void OnSessionDerivedLocked(Peer peer, long now) =>
        peer.ZeroKeyMaterialAt = now + Constants.ZeroKeyMaterialAfter;
}
