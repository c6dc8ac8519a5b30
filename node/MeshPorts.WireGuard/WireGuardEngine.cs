using System.Diagnostics.CodeAnalysis;
using MeshPorts.WireGuard.Cookies;
using MeshPorts.WireGuard.Crypto;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.RateLimiting;
using MeshPorts.WireGuard.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshPorts.WireGuard;

/// <summary>
/// The WireGuard protocol without IO: datagrams and IP packets in, datagrams and IP packets out, time
/// from a <see cref="TimeProvider"/>, timers advanced by <see cref="Tick"/>. Safe to call from a
/// receive thread, a send thread, a timer thread and a configuration thread at once.
/// Split by concern: configuration here, Receive, Send, Timers and Sessions in the other partials.
/// </summary>
public sealed partial class WireGuardEngine
{
    /// <summary>Transport header (16) + Poly1305 tag (16).</summary>
    public const int MessageOverhead = 32;

    private readonly TimeProvider _time;
    private readonly Lock _configLock = new();
    private readonly Dictionary<WgKey, Peer> _peers = [];

    // Keys a live peer had before ReplacePeerKey, only so a late initiation under one is counted as
    // RetiredPeerKey rather than UnknownPeer. Guarded by _configLock; one entry per peer at most.
    private readonly Dictionary<WgKey, Peer> _retiredPeerKeys = [];
    private readonly CookieChecker _cookieChecker = new();
    private readonly HandshakeRateLimiter _rateLimiter = new();
    private readonly Random _jitter;
    private readonly Lock _jitterLock = new();
    private readonly ILogger _logger;
    private volatile StaticIdentity? _identity;
    private volatile bool _underLoad;

    public WireGuardEngine(TimeProvider time)
        : this(time, new Random(), null)
    {
    }

    /// <summary>Logs handshakes, give-ups and zeroing at Debug; per-packet drops are only counted.</summary>
    public WireGuardEngine(TimeProvider time, ILogger<WireGuardEngine> logger)
        : this(time, new Random(), logger)
    {
    }

    /// <summary>Tests pass a seeded <paramref name="jitter"/> so retry times are reproducible.</summary>
    internal WireGuardEngine(TimeProvider time, Random jitter, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(jitter);
        _time = time;
        _jitter = jitter;
        _logger = logger ?? NullLogger.Instance;
    }

    public WgKey? PrivateKey => _identity?.PrivateKey;

    public WgKey? PublicKey => _identity?.PublicKey;

    /// <summary>When set, handshakes must carry a valid mac2 (else get a cookie reply) and are rate limited per source.</summary>
    public bool UnderLoad
    {
        get => _underLoad;
        set => _underLoad = value;
    }

    public EngineCounters Counters { get; } = new();

    internal IndexTable Indices { get; } = new();

    internal HandshakeRateLimiter RateLimiter => _rateLimiter;

    /// <summary>
    /// Sets or clears our static key. A different key invalidates every session and the static-static
    /// DH of every peer; a peer whose public key is our new public key is removed (as wireguard-go).
    /// </summary>
    public void SetPrivateKey(WgKey? privateKey)
    {
        lock (_configLock)
        {
            SetPrivateKeyLocked(privateKey);
        }
    }

    /// <summary>Adds a peer, or returns the existing one with that key.</summary>
    /// <exception cref="ArgumentException">The key is our own public key.</exception>
    public Peer AddPeer(WgKey publicKey)
    {
        lock (_configLock)
        {
            if (_peers.TryGetValue(publicKey, out var existing))
            {
                return existing;
            }

            var identity = _identity;
            if (identity is not null && identity.PublicKey == publicKey)
            {
                throw new ArgumentException("A peer cannot have this interface's own public key.", nameof(publicKey));
            }

            var peer = new Peer(this, publicKey);
            lock (peer.SyncRoot)
            {
                ComputeStaticStaticLocked(peer, identity);
            }

            _peers.Add(publicKey, peer);
            _retiredPeerKeys.Remove(publicKey);
            return peer;
        }
    }

    public bool RemovePeer(WgKey publicKey)
    {
        lock (_configLock)
        {
            if (!_peers.TryGetValue(publicKey, out var peer))
            {
                return false;
            }

            RemovePeerLocked(peer);
            return true;
        }
    }

    public void RemoveAllPeers()
    {
        lock (_configLock)
        {
            foreach (var peer in _peers.Values.ToList())
            {
                RemovePeerLocked(peer);
            }
        }
    }

    public bool TryGetPeer(WgKey publicKey, [NotNullWhen(true)] out Peer? peer)
    {
        lock (_configLock)
        {
            return _peers.TryGetValue(publicKey, out peer);
        }
    }

    public IReadOnlyList<Peer> GetPeers()
    {
        lock (_configLock)
        {
            return [.. _peers.Values];
        }
    }

    internal long Now()
    {
        // Monotonic TimeSpan ticks from the provider's timestamp, without overflowing the product.
        var ts = _time.GetTimestamp();
        var frequency = _time.TimestampFrequency;
        return (ts / frequency * TimeSpan.TicksPerSecond) + (ts % frequency * TimeSpan.TicksPerSecond / frequency);
    }

    internal DateTimeOffset UtcNow() => _time.GetUtcNow();

    internal long Jitter()
    {
        lock (_jitterLock)
        {
            return _jitter.Next(Constants.RekeyTimeoutJitterMaxMilliseconds) * Constants.Milliseconds;
        }
    }

    private void SetPrivateKeyLocked(WgKey? privateKey)
    {
        var old = _identity;
        StaticIdentity? identity = null;
        if (privateKey is { } key && !key.IsZero)
        {
            identity = new StaticIdentity(key, key.PublicFromPrivate());
        }

        if (old is null ? identity is null : identity is not null && old.PrivateKey == identity.PrivateKey)
        {
            return;
        }

        _identity = identity;
        WireGuardEngineLog.PrivateKeyChanged(_logger, identity is not null, _peers.Count);
        if (identity is null)
        {
            _cookieChecker.Clear();
        }
        else
        {
            _cookieChecker.Initialize(identity.PublicKey.AsSpan());
        }

        foreach (var peer in _peers.Values.ToList())
        {
            if (identity is not null && peer.PublicKey == identity.PublicKey)
            {
                RemovePeerLocked(peer);
                continue;
            }

            lock (peer.SyncRoot)
            {
                ZeroSessionsLocked(peer);
                ComputeStaticStaticLocked(peer, identity);

                // The old sessions are gone; let the next packet start a handshake at once.
                peer.LastSentHandshake = long.MinValue / 2;
                peer.RotationHandshakeAt = Peer.Never;
            }
        }
    }

    private void RemovePeerLocked(Peer peer)
    {
        _peers.Remove(peer.PublicKey);
        ForgetRetiredKeysLocked(peer);
        lock (peer.SyncRoot)
        {
            peer.Removed = true;
            ZeroSessionsLocked(peer);
            peer.Handshake.ClearAll();
            peer.Cookies.Clear();
            peer.Staged.Clear();
            peer.RetransmitHandshakeAt = Peer.Never;
            peer.SendKeepaliveAt = Peer.Never;
            peer.NewHandshakeAt = Peer.Never;
            peer.ZeroKeyMaterialAt = Peer.Never;
            peer.PersistentKeepaliveAt = Peer.Never;
            peer.RotationHandshakeAt = Peer.Never;
        }
    }

    private static void ComputeStaticStaticLocked(Peer peer, StaticIdentity? identity)
    {
        var hs = peer.Handshake;
        hs.HasStaticStatic = identity is not null &&
            X25519.TryAgree(identity.PrivateKey.AsSpan(), peer.PublicKey.AsSpan(), hs.PrecomputedStaticStatic);
        if (!hs.HasStaticStatic)
        {
            Array.Clear(hs.PrecomputedStaticStatic);
        }
    }
}
