using System.Security.Cryptography;
using MeshPorts.WireGuard.Noise;
using MeshPorts.WireGuard.Sessions;

namespace MeshPorts.WireGuard;

/// <summary>Keypair slots (current / previous / next) and their lifetime. All methods run under the peer lock.</summary>
public sealed partial class WireGuardEngine
{
    /// <summary>
    /// Turns the finished handshake into a keypair under the handshake's receiver index. The initiator
    /// may use it at once; the responder parks it in "next" until the initiator's first transport
    /// packet confirms the initiator has it too (whitepaper section 5.4.5, key confirmation).
    /// </summary>
    private Keypair BeginSessionLocked(Peer peer, bool isInitiator, long now)
    {
        var hs = peer.Handshake;
        Span<byte> sendKey = stackalloc byte[NoiseProtocol.KeySize];
        Span<byte> receiveKey = stackalloc byte[NoiseProtocol.KeySize];
        NoiseProtocol.DeriveTransportKeys(hs, isInitiator, sendKey, receiveKey);
        var keypair = new Keypair(peer, sendKey, receiveKey, isInitiator, now, hs.LocalIndex, hs.RemoteIndex);
        CryptographicOperations.ZeroMemory(sendKey);
        CryptographicOperations.ZeroMemory(receiveKey);

        Indices.AssignKeypair(hs.LocalIndex, keypair);
        hs.ClearExchange();

        if (isInitiator)
        {
            // The old current stays receivable as "previous" even when an unconfirmed "next" exists:
            // after crossing handshakes the other side may never have got that next (its response was
            // dropped) and still sends on the old current until our first packet on this one arrives.
            // The next stays too, for the case where the other side did get it and sends on it; which
            // of the two crossing sessions both end on is decided in ConfirmIfNextLocked.
            RetireLocked(peer.Previous);
            peer.Previous = peer.Current;
            peer.Current = keypair;
        }
        else
        {
            RetireLocked(peer.Next);
            peer.Next = keypair;
        }

        Counters.CountHandshakeCompleted();
        peer.CountHandshake();
        WireGuardEngineLog.SessionDerived(_logger, peer, isInitiator, keypair.LocalIndex);
        return keypair;
    }

    /// <summary>True if <paramref name="keypair"/> was the unconfirmed "next" and is now current.</summary>
    private bool ConfirmIfNextLocked(Peer peer, Keypair keypair)
    {
        if (!ReferenceEquals(peer.Next, keypair))
        {
            return false;
        }

        // A next older than the current one means both sides initiated and both handshakes completed
        // (they crossed): each side holds its own session as current and the other's as next. Both
        // must settle on one, and it must be an initiator's, since only initiators rekey at
        // REKEY_AFTER_TIME. The handshake of the side with the greater public key wins; the loser
        // moves to it on the winner's first packet, the winner keeps the loser's as receive-only.
        if (peer.Current is { } current && keypair.Created < current.Created && WeWinCrossing(peer))
        {
            return false;
        }

        RetireLocked(peer.Previous);
        peer.Previous = peer.Current;
        peer.Current = keypair;
        peer.Next = null;
        return true;
    }

    private bool WeWinCrossing(Peer peer)
    {
        var identity = _identity;
        return identity is not null && identity.PublicKey.AsSpan().SequenceCompareTo(peer.PublicKey.AsSpan()) > 0;
    }

    /// <summary>Forgets every session and the in-flight handshake (keys wiped once unused).</summary>
    private void ZeroSessionsLocked(Peer peer)
    {
        RetireLocked(peer.Current);
        RetireLocked(peer.Previous);
        RetireLocked(peer.Next);
        peer.Current = null;
        peer.Previous = null;
        peer.Next = null;
        Indices.Remove(peer.Handshake.LocalIndex);
        peer.Handshake.ClearExchange();
    }

    private static void RetireLocked(Keypair? keypair)
    {
        if (keypair is null)
        {
            return;
        }

        keypair.Peer.Engine.Indices.Remove(keypair.LocalIndex);
        keypair.Retire();
    }
}
