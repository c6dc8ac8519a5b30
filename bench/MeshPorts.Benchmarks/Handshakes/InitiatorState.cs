using MeshPorts.WireGuard.Cookies;
using MeshPorts.WireGuard.Crypto;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Messages;
using MeshPorts.WireGuard.Noise;

namespace MeshPorts.Benchmarks.Handshakes;

/// <summary>
/// The initiator's side of a handshake without an engine: the same NoiseProtocol and CookieGenerator
/// calls SendInitiationLocked makes, but with the TAI64N clock in the benchmark's hands, so a batch of
/// initiations can be made ahead of time, each strictly newer than the last (the responder drops
/// replayed timestamps).
/// </summary>
internal sealed class InitiatorState
{
    private readonly WgKey _localPublic;
    private readonly WgKey _remotePublic;
    private DateTimeOffset _wallClock = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private uint _nextIndex = 1;

    public InitiatorState(WgKey localPrivate, WgKey remotePublic)
    {
        _localPublic = localPrivate.PublicFromPrivate();
        _remotePublic = remotePublic;
        Cookies = new CookieGenerator(remotePublic.AsSpan());
        if (!X25519.TryAgree(localPrivate.AsSpan(), remotePublic.AsSpan(), Handshake.PrecomputedStaticStatic))
        {
            throw new InvalidOperationException("Static-static DH failed.");
        }

        Handshake.HasStaticStatic = true;
    }

    public Handshake Handshake { get; } = new();

    public CookieGenerator Cookies { get; }

    /// <summary>The initiator's monotonic clock, as the CookieGenerator sees it (cookie freshness).</summary>
    public long Now { get; set; } = TimeSpan.TicksPerDay;

    /// <summary>Writes one complete initiation (macs included); each call is one second newer.</summary>
    public void Create(Span<byte> message)
    {
        _wallClock = _wallClock.AddSeconds(1);
        Handshake.ClearExchange();
        if (!NoiseProtocol.CreateInitiation(Handshake, _localPublic.AsSpan(), _remotePublic.AsSpan(), _wallClock, _nextIndex++, message))
        {
            throw new InvalidOperationException("CreateInitiation failed.");
        }

        Cookies.AddMacs(message, MessageLayout.InitiationMac1, Now);
    }
}
