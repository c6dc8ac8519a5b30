using MeshPorts.WireGuard.Net;
using Microsoft.Extensions.Logging;

namespace MeshPorts.WireGuard;

/// <summary>The engine's log messages. Nothing here runs per data packet; drops are counted in <see cref="EngineCounters"/>.</summary>
internal static partial class WireGuardEngineLog
{
    [LoggerMessage(1, LogLevel.Debug, "Sending handshake initiation to {Peer} at {Endpoint} (retry: {IsRetry}, attempt {Attempt})")]
    public static partial void SendingInitiation(ILogger logger, Peer peer, PeerEndpoint endpoint, bool isRetry, int attempt);

    [LoggerMessage(2, LogLevel.Debug, "Session with {Peer} derived (initiator: {IsInitiator}, index {Index})")]
    public static partial void SessionDerived(ILogger logger, Peer peer, bool isInitiator, uint index);

    [LoggerMessage(3, LogLevel.Debug, "Handshake with {Peer} did not complete within 90 seconds; giving up and dropping {Staged} staged packets")]
    public static partial void HandshakeGaveUp(ILogger logger, Peer peer, int staged);

    [LoggerMessage(4, LogLevel.Debug, "Zeroed all keys of {Peer} after 540 seconds without a new handshake")]
    public static partial void SessionsZeroed(ILogger logger, Peer peer);

    [LoggerMessage(5, LogLevel.Debug, "Under load: sent a cookie reply to {Source}")]
    public static partial void CookieReplySent(ILogger logger, PeerEndpoint source);

    [LoggerMessage(6, LogLevel.Information, "Interface private key {Action}; sessions with {PeerCount} peers reset")]
    public static partial void PrivateKeyChangedCore(ILogger logger, string action, int peerCount);

    [LoggerMessage(7, LogLevel.Information, "Peer {Peer} has a new public key; its sessions are kept until a handshake under the new key replaces them")]
    public static partial void PeerKeyReplaced(ILogger logger, Peer peer);

    [LoggerMessage(8, LogLevel.Information, "Interface private key rotated; sessions with {PeerCount} peers kept, {Rehandshakes} new handshakes scheduled")]
    public static partial void PrivateKeyRotated(ILogger logger, int peerCount, int rehandshakes);

    public static void PrivateKeyChanged(ILogger logger, bool set, int peerCount) =>
        PrivateKeyChangedCore(logger, set ? "set" : "cleared", peerCount);
}
