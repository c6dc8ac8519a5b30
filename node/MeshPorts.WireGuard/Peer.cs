using System.Runtime.CompilerServices;
using MeshPorts.WireGuard.Cookies;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;
using MeshPorts.WireGuard.Noise;
using MeshPorts.WireGuard.Sessions;

namespace MeshPorts.WireGuard;

/// <summary>
/// One remote WireGuard peer. Its handshake, keypair slots, staged packets and timers are guarded by
/// <see cref="SyncRoot"/>; the engine's methods take it, so callers never need to.
/// </summary>
public sealed class Peer
{
    internal const long Never = long.MaxValue;

    // WgKey is a 32-byte inline struct, so a plain field could be read torn while ReplacePeerKey writes
    // it; publishing an immutable box through a volatile reference makes every read see one whole key.
    private volatile StrongBox<WgKey> _publicKey;
    private PeerEndpoint _endpoint;
    private ushort _persistentKeepaliveInterval;
    private volatile bool _roaming = true;
    private DateTimeOffset? _lastHandshake;
    private long _rxBytes;
    private long _txBytes;
    private long _handshakes;
    private Keypair? _current;
    private Keypair? _previous;
    private Keypair? _next;

    internal Peer(WireGuardEngine engine, WgKey publicKey)
    {
        Engine = engine;
        _publicKey = new StrongBox<WgKey>(publicKey);
        Cookies = new CookieGenerator(publicKey.AsSpan());
        publicKey.CopyTo(Handshake.RemoteStaticForResponse);
    }

    /// <summary>The peer's static public key; changes only through <see cref="WireGuardEngine.ReplacePeerKey"/>.</summary>
    public WgKey PublicKey => _publicKey.Value;

    public WgKey? PresharedKey
    {
        get
        {
            lock (SyncRoot)
            {
                var psk = WgKey.FromBytes(Handshake.PresharedKey);
                return psk.IsZero ? null : psk;
            }
        }

        set
        {
            lock (SyncRoot)
            {
                // An unset preshared key is 32 zero bytes in the protocol (whitepaper section 5.2).
                if (value is { } key)
                {
                    key.CopyTo(Handshake.PresharedKey);
                }
                else
                {
                    Array.Clear(Handshake.PresharedKey);
                }
            }
        }
    }

    /// <summary>default (IsSet false) when unknown. Authenticated packets from a new address update it while <see cref="Roaming"/> is on.</summary>
    public PeerEndpoint Endpoint
    {
        get
        {
            lock (SyncRoot)
            {
                return _endpoint;
            }
        }

        set
        {
            lock (SyncRoot)
            {
                _endpoint = value;
            }
        }
    }

    /// <summary>
    /// True (the default, as in the paper's section 2.1): an authenticated packet from a new address moves
    /// <see cref="Endpoint"/> there. False when something else owns the endpoint (the node's path manager):
    /// then only setting <see cref="Endpoint"/> moves it.
    /// </summary>
    public bool Roaming
    {
        get => _roaming;
        set => _roaming = value;
    }

    /// <summary>Seconds, 0 = off. Turning it on sends a keepalive at the next Tick.</summary>
    public ushort PersistentKeepaliveInterval
    {
        get
        {
            lock (SyncRoot)
            {
                return _persistentKeepaliveInterval;
            }
        }

        set
        {
            lock (SyncRoot)
            {
                var wasOff = _persistentKeepaliveInterval == 0;
                _persistentKeepaliveInterval = value;
                PersistentKeepaliveAt = value == 0 ? Never : wasOff ? long.MinValue : PersistentKeepaliveAt;
            }
        }
    }

    /// <summary>Wall-clock time of the last completed handshake.</summary>
    public DateTimeOffset? LastHandshake
    {
        get
        {
            lock (SyncRoot)
            {
                return _lastHandshake;
            }
        }
    }

    /// <summary>UDP payload bytes received from this peer (authenticated messages), as wireguard-go counts.</summary>
    public long RxBytes => Interlocked.Read(ref _rxBytes);

    /// <summary>UDP payload bytes sent to this peer.</summary>
    public long TxBytes => Interlocked.Read(ref _txBytes);

    /// <summary>Sessions derived with this peer (handshakes completed, either side initiating).</summary>
    public long HandshakesCompleted => Interlocked.Read(ref _handshakes);

    public bool HasCurrentKeypair => Volatile.Read(ref _current) is not null;

    /// <summary>The device hangs its own per-peer data here.</summary>
    public object? DeviceState { get; set; }

    public override string ToString() => $"peer({PublicKey.ToBase64()[..8]}…)";

    internal Lock SyncRoot { get; } = new();

    internal WireGuardEngine Engine { get; }

    internal Handshake Handshake { get; } = new();

    internal CookieGenerator Cookies { get; }

    internal Queue<byte[]> Staged { get; } = new();

    internal bool Removed { get; set; }

    internal Keypair? Current
    {
        get => Volatile.Read(ref _current);
        set => Volatile.Write(ref _current, value);
    }

    internal Keypair? Previous
    {
        get => Volatile.Read(ref _previous);
        set => Volatile.Write(ref _previous, value);
    }

    internal Keypair? Next
    {
        get => Volatile.Read(ref _next);
        set => Volatile.Write(ref _next, value);
    }

    // Timer deadlines in monotonic ticks (Never = not armed); see WireGuardEngine.Timers.cs.
    internal long RetransmitHandshakeAt { get; set; } = Never;

    internal long SendKeepaliveAt { get; set; } = Never;

    internal long NewHandshakeAt { get; set; } = Never;

    internal long ZeroKeyMaterialAt { get; set; } = Never;

    internal long PersistentKeepaliveAt { get; set; } = Never;

    /// <summary>After <see cref="WireGuardEngine.RotatePrivateKey"/>: prove the new static key with a fresh handshake.</summary>
    internal long RotationHandshakeAt { get; set; } = Never;

    internal bool NeedAnotherKeepalive { get; set; }

    internal bool SentLastMinuteHandshake { get; set; }

    internal long LastSentHandshake { get; set; } = long.MinValue / 2;

    internal long HandshakeStartedAt { get; set; }

    internal int HandshakeAttempts { get; set; }

    internal PeerEndpoint EndpointLocked
    {
        get => _endpoint;
        set => _endpoint = value;
    }

    internal ushort PersistentKeepaliveLocked => _persistentKeepaliveInterval;

    /// <summary>Roaming: an authenticated packet from <paramref name="source"/> moves the endpoint, unless roaming is off.</summary>
    internal void RoamLocked(in PeerEndpoint source)
    {
        if (_roaming)
        {
            _endpoint = source;
        }
    }

    /// <summary>
    /// Re-keys this peer in place: the key every later handshake uses (the responder's se DH and the
    /// mac1/cookie keys derive from it). The engine holds the config lock and <see cref="SyncRoot"/>.
    /// </summary>
    internal void ReplacePublicKeyLocked(WgKey publicKey)
    {
        _publicKey = new StrongBox<WgKey>(publicKey);
        publicKey.CopyTo(Handshake.RemoteStaticForResponse);
        Cookies.Rekey(publicKey.AsSpan());
    }

    internal void SetLastHandshake(DateTimeOffset when) => _lastHandshake = when;

    internal void CountHandshake() => Interlocked.Increment(ref _handshakes);

    internal void AddRx(int bytes) => Interlocked.Add(ref _rxBytes, bytes);

    internal void AddTx(int bytes) => Interlocked.Add(ref _txBytes, bytes);
}
