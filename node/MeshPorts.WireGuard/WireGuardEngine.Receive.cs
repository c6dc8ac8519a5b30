using System.Buffers.Binary;
using System.Security.Cryptography;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Messages;
using MeshPorts.WireGuard.Net;
using MeshPorts.WireGuard.Noise;

namespace MeshPorts.WireGuard;

/// <summary>Everything that arrives from the UDP socket.</summary>
public sealed partial class WireGuardEngine
{
    /// <summary>
    /// Handles one datagram from <paramref name="source"/>. Transport data is decrypted into
    /// <paramref name="plaintextOut"/> (padding kept); handshake and cookie messages are answered through
    /// <paramref name="output"/>. Bad input is counted and reported as Drop; this never throws on input.
    /// <paramref name="plaintextOut"/> must not overlap <paramref name="datagram"/>.
    /// </summary>
    public InboundResult ProcessInbound(ReadOnlySpan<byte> datagram, PeerEndpoint source, Span<byte> plaintextOut, IEngineOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (datagram.Length < 4)
        {
            return Drop(DropReason.TooShort, null);
        }

        // The type is a little-endian word, so non-zero reserved bytes make an unknown type.
        var type = (MessageType)BinaryPrimitives.ReadUInt32LittleEndian(datagram);
        return type switch
        {
            MessageType.Initiation => datagram.Length == MessageLayout.InitiationSize
                ? ReceiveInitiation(datagram, source, output)
                : Drop(DropReason.InvalidSize, null),
            MessageType.Response => datagram.Length == MessageLayout.ResponseSize
                ? ReceiveResponse(datagram, source, output)
                : Drop(DropReason.InvalidSize, null),
            MessageType.CookieReply => datagram.Length == MessageLayout.CookieReplySize
                ? ReceiveCookieReply(datagram)
                : Drop(DropReason.InvalidSize, null),
            MessageType.Transport => datagram.Length >= MessageLayout.TransportMinimumSize
                ? ReceiveTransport(datagram, source, plaintextOut, output)
                : Drop(DropReason.TooShort, null),
            _ => Drop(DropReason.UnknownType, null),
        };
    }

    private InboundResult Drop(DropReason reason, Peer? peer)
    {
        Counters.CountDrop(reason);
        return new InboundResult(InboundAction.Drop, 0, peer, reason);
    }

    /// <summary>mac1 always; under load also mac2 (else a cookie reply) and the per-source rate limit.</summary>
    private DropReason CheckHandshakeMacs(ReadOnlySpan<byte> message, int mac1Offset, PeerEndpoint source, long now, IEngineOutput output)
    {
        if (!_cookieChecker.CheckMac1(message, mac1Offset))
        {
            return DropReason.BadMac1;
        }

        if (!_underLoad)
        {
            return DropReason.None;
        }

        var mac2Offset = mac1Offset + MessageLayout.MacSize;
        if (!_cookieChecker.CheckMac2(message, mac2Offset, source, now))
        {
            Span<byte> reply = stackalloc byte[MessageLayout.CookieReplySize];
            var sender = BinaryPrimitives.ReadUInt32LittleEndian(message[4..]);
            _cookieChecker.CreateReply(message, mac1Offset, sender, source, now, reply);
            output.SendDatagram(source, reply);
            Counters.CountCookieReplySent();
            WireGuardEngineLog.CookieReplySent(_logger, source);
            return DropReason.CookieRequired;
        }

        return _rateLimiter.Allow(source, now) ? DropReason.None : DropReason.RateLimited;
    }

    private InboundResult ReceiveInitiation(ReadOnlySpan<byte> message, PeerEndpoint source, IEngineOutput output)
    {
        var identity = _identity;
        if (identity is null)
        {
            return Drop(DropReason.NoPrivateKey, null);
        }

        var now = Now();
        var check = CheckHandshakeMacs(message, MessageLayout.InitiationMac1, source, now, output);
        if (check != DropReason.None)
        {
            return Drop(check, null);
        }

        Span<byte> ck = stackalloc byte[NoiseProtocol.KeySize];
        Span<byte> h = stackalloc byte[NoiseProtocol.KeySize];
        Span<byte> remoteStatic = stackalloc byte[NoiseProtocol.KeySize];
        Span<byte> ours = stackalloc byte[Noise.Handshake.SavedInitiationSize];
        try
        {
            var privateKey = identity.PrivateKey;
            var publicKey = identity.PublicKey;
            if (!NoiseProtocol.OpenInitiationStatic(message, privateKey.AsSpan(), publicKey.AsSpan(), ck, h, remoteStatic))
            {
                return Drop(DropReason.DecryptFailed, null);
            }

            var remoteKey = WgKey.FromBytes(remoteStatic);
            if (!TryGetPeer(remoteKey, out var peer))
            {
                return Drop(IsRetiredPeerKey(remoteKey) ? DropReason.RetiredPeerKey : DropReason.UnknownPeer, null);
            }

            lock (peer.SyncRoot)
            {
                if (peer.Removed || !ReferenceEquals(_identity, identity))
                {
                    return Drop(DropReason.UnknownPeer, peer);
                }

                // ReplacePeerKey may have run between the lookup and the lock.
                if (peer.PublicKey != remoteKey)
                {
                    return Drop(DropReason.RetiredPeerKey, peer);
                }

                // Crossing handshakes (both sides initiated at once, as both do after a simultaneous
                // rotation): keep our initiation alive beside this answer. Otherwise each side drops the
                // other's response, neither gets a confirmed session, and both wait REKEY_TIMEOUT to retry
                // (and may cross again). The peer answers ours whatever it does with its own.
                var ourIndex = peer.Handshake.State == HandshakeState.InitiationCreated ? peer.Handshake.LocalIndex : 0;
                if (ourIndex != 0)
                {
                    peer.Handshake.SaveInitiation(ours);
                }

                var outcome = NoiseProtocol.FinishInitiation(peer.Handshake, message, ck, h, now);
                switch (outcome)
                {
                    case InitiationOutcome.DecryptFailed:
                        return Drop(DropReason.DecryptFailed, peer);
                    case InitiationOutcome.StaleTimestamp:
                        return Drop(DropReason.StaleTimestamp, peer);
                    case InitiationOutcome.Flood:
                        return Drop(DropReason.HandshakeFlood, peer);
                }

                peer.RoamLocked(source);
                peer.AddRx(message.Length);
                OnAuthenticatedPacketTraversalLocked(peer, now);
                OnAuthenticatedPacketReceivedLocked(peer);

                // Answer at once: the response is what lets the initiator derive the session.
                if (ourIndex == 0)
                {
                    Indices.Remove(peer.Handshake.LocalIndex);
                }

                var localIndex = Indices.RegisterHandshake(peer);
                Span<byte> response = stackalloc byte[MessageLayout.ResponseSize];
                if (!NoiseProtocol.CreateResponse(peer.Handshake, localIndex, response))
                {
                    Indices.Remove(localIndex);
                    peer.Handshake.ClearExchange();
                    RestoreOurInitiationLocked(peer, ours, ourIndex);
                    return Drop(DropReason.DecryptFailed, peer);
                }

                peer.Cookies.AddMacs(response, MessageLayout.ResponseMac1, now);
                BeginSessionLocked(peer, isInitiator: false, now);
                RestoreOurInitiationLocked(peer, ours, ourIndex);
                OnSessionDerivedLocked(peer, now);
                OnAuthenticatedPacketTraversalLocked(peer, now);
                OnAuthenticatedPacketSentLocked(peer);
                output.SendDatagram(source, response);
                peer.AddTx(response.Length);
                Counters.CountResponseSent();
                return new InboundResult(InboundAction.None, 0, peer, DropReason.None);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ck);
            CryptographicOperations.ZeroMemory(h);
            CryptographicOperations.ZeroMemory(ours);
        }
    }

    private static void RestoreOurInitiationLocked(Peer peer, ReadOnlySpan<byte> saved, uint ourIndex)
    {
        if (ourIndex != 0)
        {
            peer.Handshake.RestoreInitiation(saved, ourIndex);
        }
    }

    private InboundResult ReceiveResponse(ReadOnlySpan<byte> message, PeerEndpoint source, IEngineOutput output)
    {
        var identity = _identity;
        if (identity is null)
        {
            return Drop(DropReason.NoPrivateKey, null);
        }

        var now = Now();
        var check = CheckHandshakeMacs(message, MessageLayout.ResponseMac1, source, now, output);
        if (check != DropReason.None)
        {
            return Drop(check, null);
        }

        var receiver = BinaryPrimitives.ReadUInt32LittleEndian(message[MessageLayout.ResponseReceiver..]);
        if (!Indices.TryLookup(receiver, out var entry) || entry.Keypair is not null)
        {
            return Drop(DropReason.UnknownIndex, null);
        }

        var peer = entry.Peer;
        lock (peer.SyncRoot)
        {
            var hs = peer.Handshake;
            if (peer.Removed || hs.LocalIndex != receiver || hs.State != HandshakeState.InitiationCreated)
            {
                return Drop(DropReason.UnexpectedResponse, peer);
            }

            var privateKey = identity.PrivateKey;
            if (!ReferenceEquals(_identity, identity) || !NoiseProtocol.ConsumeResponse(hs, message, privateKey.AsSpan()))
            {
                return Drop(DropReason.DecryptFailed, peer);
            }

            BeginSessionLocked(peer, isInitiator: true, now);
            peer.RoamLocked(source);
            peer.AddRx(message.Length);
            OnSessionDerivedLocked(peer, now);
            OnHandshakeCompleteLocked(peer);
            OnAuthenticatedPacketTraversalLocked(peer, now);
            OnAuthenticatedPacketReceivedLocked(peer);

            // Confirms the session to the responder (its "next" becomes current on our first packet).
            SendKeepaliveLocked(peer, now, output);
            return new InboundResult(InboundAction.None, 0, peer, DropReason.None);
        }
    }

    private InboundResult ReceiveCookieReply(ReadOnlySpan<byte> message)
    {
        var receiver = BinaryPrimitives.ReadUInt32LittleEndian(message[MessageLayout.CookieReceiver..]);
        if (!Indices.TryLookup(receiver, out var entry))
        {
            return Drop(DropReason.UnknownIndex, null);
        }

        var peer = entry.Peer;
        var now = Now();
        lock (peer.SyncRoot)
        {
            if (peer.Removed || !peer.Cookies.ConsumeReply(message, now))
            {
                return Drop(DropReason.UnexpectedCookie, peer);
            }
        }

        Counters.CountCookieReplyAccepted();
        return new InboundResult(InboundAction.None, 0, peer, DropReason.None);
    }

    private InboundResult ReceiveTransport(ReadOnlySpan<byte> datagram, PeerEndpoint source, Span<byte> plaintextOut, IEngineOutput output)
    {
        var receiver = BinaryPrimitives.ReadUInt32LittleEndian(datagram[MessageLayout.TransportReceiver..]);
        var counter = BinaryPrimitives.ReadUInt64LittleEndian(datagram[MessageLayout.TransportCounter..]);
        if (!Indices.TryLookup(receiver, out var entry) || entry.Keypair is not { } keypair)
        {
            return Drop(DropReason.UnknownIndex, null);
        }

        var peer = keypair.Peer;
        var ciphertext = datagram[MessageLayout.TransportHeaderSize..];
        var length = ciphertext.Length - Crypto.Aead.TagSize;
        if (plaintextOut.Length < length)
        {
            return Drop(DropReason.BufferTooSmall, peer);
        }

        if (!keypair.TryAcquire())
        {
            return Drop(DropReason.UnknownIndex, peer);
        }

        var now = Now();
        try
        {
            if (keypair.IsExpired(now))
            {
                return Drop(DropReason.KeyExpired, peer);
            }

            if (counter >= Constants.RejectAfterMessages)
            {
                return Drop(DropReason.Replay, peer);
            }

            if (!keypair.Open(counter, ciphertext, plaintextOut))
            {
                return Drop(DropReason.DecryptFailed, peer);
            }

            // The window is only advanced by authenticated counters, so forged packets cannot move it.
            if (!keypair.ValidateCounter(counter))
            {
                return Drop(DropReason.Replay, peer);
            }
        }
        finally
        {
            keypair.Release();
        }

        lock (peer.SyncRoot)
        {
            if (peer.Removed)
            {
                return Drop(DropReason.UnknownPeer, peer);
            }

            peer.RoamLocked(source);
            if (ConfirmIfNextLocked(peer, keypair))
            {
                OnHandshakeCompleteLocked(peer);
                SendStagedLocked(peer, now, output);
            }

            KeepKeyFreshReceivingLocked(peer, now, output);
            OnAuthenticatedPacketTraversalLocked(peer, now);
            OnAuthenticatedPacketReceivedLocked(peer);
            peer.AddRx(datagram.Length);
            if (length == 0)
            {
                return new InboundResult(InboundAction.None, 0, peer, DropReason.None);
            }

            OnDataReceivedLocked(peer, now);
        }

        return new InboundResult(InboundAction.WriteToTun, length, peer, DropReason.None);
    }
}
