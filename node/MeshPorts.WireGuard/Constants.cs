namespace MeshPorts.WireGuard;

/// <summary>
/// The protocol's constants. Times are <see cref="TimeSpan"/> ticks so deadlines are plain longs.
/// The first group is the whitepaper's; the second is implementation policy shared with wireguard-go.
/// </summary>
internal static class Constants
{
    private const long Second = TimeSpan.TicksPerSecond;
    private const long Millisecond = TimeSpan.TicksPerMillisecond;

    // Whitepaper section 5.4, "Messages": the Noise protocol name, prologue and MAC labels.
    public const string Construction = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
    public const string Identifier = "WireGuard v1 zx2c4 Jason@zx2c4.com";
    public const string LabelMac1 = "mac1----";
    public const string LabelCookie = "cookie--";

    // Whitepaper section 6.1, "Preliminaries" (the timer and limit table).
    public const ulong RekeyAfterMessages = 1UL << 60;
    public const ulong RejectAfterMessages = ulong.MaxValue - (1UL << 13); // 2^64 - 2^13 - 1
    public const long RekeyAfterTime = 120 * Second;
    public const long RejectAfterTime = 180 * Second;
    public const long RekeyAttemptTime = 90 * Second;
    public const long RekeyTimeout = 5 * Second;
    public const long KeepaliveTimeout = 10 * Second;

    // Whitepaper section 5.4.7, "Under Load: Cookie Reply Message": cookies and their secret live 2 minutes.
    public const long CookieRefreshTime = 120 * Second;

    // Whitepaper section 6.3/6.4: the receive-side rekey margin (an initiator's session this old gets
    // renewed before the responder would have to reject it).
    public const long RekeyOnReceiveAge = RejectAfterTime - KeepaliveTimeout - RekeyTimeout;

    // Whitepaper section 6.4: the "zero everything" deadline after the last handshake.
    public const long ZeroKeyMaterialAfter = RejectAfterTime * 3;

    // Implementation policy (wireguard-go constants.go / timers.go).
    public const int MaxTimerHandshakes = (int)(RekeyAttemptTime / RekeyTimeout);
    public const int RekeyTimeoutJitterMaxMilliseconds = 334; // exclusive: jitter is 0..333 ms
    public const long HandshakeInitiationRate = Second / 50;
    public const int MaxStagedPackets = 128;

    // Per-source handshake rate limit applied under load (wireguard-go ratelimiter).
    public const int RateLimitPacketsPerSecond = 20;
    public const int RateLimitBurst = 5;
    public const long RateLimitGarbageCollectAfter = 1 * Second;

    public const long Milliseconds = Millisecond;
}
