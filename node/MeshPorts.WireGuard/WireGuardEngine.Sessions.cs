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
            // The next stays too, for the case where the other side did get it; being older than the
            // new current, it is now receive-only (see ConfirmIfNextLocked).
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
        WireGuardEngineLog.SessionDerived(_logger, peer, isInitiator, keypair.LocalIndex);
        return keypair;
    }

    /// <summary>True if <paramref name="keypair"/> was the unconfirmed "next" and is now current.</summary>
    private static bool ConfirmIfNextLocked(Peer peer, Keypair keypair)
    {
        if (!ReferenceEquals(peer.Next, keypair))
        {
            return false;
        }

        // A next older than the current one lost to a handshake we initiated later (crossing
        // handshakes): it only decrypts. Promoting it would leave both sides on a responder-made
        // session, and then neither would rekey at REKEY_AFTER_TIME (only initiators do).
        if (peer.Current is { } current && keypair.Created < current.Created)
        {
            return false;
        }

        RetireLocked(peer.Previous);
        peer.Previous = peer.Current;
        peer.Current = keypair;
        peer.Next = null;
        return true;
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
