namespace MeshPorts.WireGuard;

public enum DropReason
{
    None,
    TooShort,
    InvalidSize,
    UnknownType,
    BadMac1,
    CookieRequired,
    RateLimited,
    UnknownPeer,
    DecryptFailed,
    StaleTimestamp,
    UnknownIndex,
    Replay,
    KeyExpired,
    NoPrivateKey,
    NoEndpoint,
    QueueFull,

    /// <summary>A second valid initiation from the same peer within 20 ms.</summary>
    HandshakeFlood,

    /// <summary>The caller's output buffer cannot hold the result.</summary>
    BufferTooSmall,

    /// <summary>A cookie reply for which no handshake is waiting, or that does not open.</summary>
    UnexpectedCookie,

    /// <summary>A handshake response that does not match our in-flight initiation.</summary>
    UnexpectedResponse,

    /// <summary>
    /// An initiation naming a peer's previous static key after <see cref="WireGuardEngine.ReplacePeerKey"/>:
    /// the peer has not switched yet (it retries, and its old session keeps carrying data) or someone
    /// holds the old key. Unauthenticated like <see cref="UnknownPeer"/>: the static key field proves nothing.
    /// </summary>
    RetiredPeerKey,
}
