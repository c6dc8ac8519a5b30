using System.Buffers;
using System.Buffers.Binary;
using MeshPorts.WireGuard.Crypto;
using MeshPorts.WireGuard.Messages;
using MeshPorts.WireGuard.Net;
using MeshPorts.WireGuard.Noise;
using MeshPorts.WireGuard.Sessions;

namespace MeshPorts.WireGuard;

/// <summary>Everything that leaves towards a peer: transport data, keepalives, staged packets, initiations.</summary>
public sealed partial class WireGuardEngine
{
    /// <summary>
    /// Encrypts one IP packet for <paramref name="peer"/> into <paramref name="datagramOut"/>, or stages it
    /// (and starts a handshake) when there is no usable session. An empty packet is a keepalive.
    /// <paramref name="ipPacket"/> may already sit at <c>datagramOut[16..]</c> (read from the TUN there to
    /// avoid a copy); any other overlap is not allowed.
    /// </summary>
    public OutboundResult ProcessOutbound(Peer peer, ReadOnlySpan<byte> ipPacket, Span<byte> datagramOut, IEngineOutput output)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(output);
        if (_identity is null)
        {
            return DropOutbound(DropReason.NoPrivateKey);
        }

        if (datagramOut.Length < TransportLength(ipPacket.Length))
        {
            return DropOutbound(DropReason.BufferTooSmall);
        }

        var now = Now();
        var keypair = peer.Current;
        if (keypair is not null && keypair.TryAcquire())
        {
            try
            {
                if (!keypair.IsExpired(now))
                {
                    var counter = keypair.NextSendCounter();
                    if (counter < Constants.RejectAfterMessages)
                    {
                        var length = SealTransport(keypair, counter, ipPacket, datagramOut);
                        lock (peer.SyncRoot)
                        {
                            var endpoint = peer.EndpointLocked;
                            if (endpoint.IsSet && !peer.Removed)
                            {
                                AfterTransportSentLocked(peer, keypair, ipPacket.Length, length, now, output);
                                return new OutboundResult(OutboundAction.Send, length, endpoint, DropReason.None);
                            }
                        }
                    }
                }
            }
            finally
            {
                keypair.Release();
            }
        }

        lock (peer.SyncRoot)
        {
            if (peer.Removed)
            {
                return DropOutbound(DropReason.UnknownPeer);
            }

            StageLocked(peer, ipPacket);
            if (peer.EndpointLocked.IsSet)
            {
                // Another thread may have finished the handshake meanwhile; flushing covers both cases.
                SendStagedLocked(peer, now, output);
            }
        }

        return new OutboundResult(OutboundAction.Queued, 0, default, DropReason.None);
    }

    /// <summary>Padded plaintext rounded up to 16 bytes (whitepaper section 5.4.6), plus header and tag.</summary>
    internal static int TransportLength(int plaintextLength) =>
        MessageLayout.TransportHeaderSize + ((plaintextLength + 15) & ~15) + Aead.TagSize;

    private OutboundResult DropOutbound(DropReason reason)
    {
        Counters.CountDrop(reason);
        return new OutboundResult(OutboundAction.Drop, 0, default, reason);
    }

    private static int SealTransport(Keypair keypair, ulong counter, ReadOnlySpan<byte> plaintext, Span<byte> datagram)
    {
        var length = TransportLength(plaintext.Length);
        var paddedLength = length - MessageLayout.TransportHeaderSize - Aead.TagSize;
        BinaryPrimitives.WriteUInt32LittleEndian(datagram, (uint)MessageType.Transport);
        BinaryPrimitives.WriteUInt32LittleEndian(datagram[MessageLayout.TransportReceiver..], keypair.RemoteIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(datagram[MessageLayout.TransportCounter..], counter);
        var body = datagram[MessageLayout.TransportHeaderSize..];
        plaintext.CopyTo(body);
        body[plaintext.Length..paddedLength].Clear();

        // Sealed in place: libsodium allows the ciphertext to start exactly where the plaintext does.
        keypair.Seal(counter, body[..paddedLength], body);
        return length;
    }

    private void AfterTransportSentLocked(Peer peer, Keypair keypair, int plaintextLength, int datagramLength, long now, IEngineOutput output)
    {
        peer.AddTx(datagramLength);
        OnAuthenticatedPacketTraversalLocked(peer, now);
        OnAuthenticatedPacketSentLocked(peer);
        if (plaintextLength > 0)
        {
            OnDataSentLocked(peer, now);
        }
        else
        {
            Counters.CountKeepaliveSent();
        }

        // Whitepaper section 6.2: the initiator renews a session that is old or has sent too much.
        if (keypair.IsInitiator && ReferenceEquals(peer.Current, keypair) &&
            (keypair.SendCounter > Constants.RekeyAfterMessages || now - keypair.Created >= Constants.RekeyAfterTime))
        {
            SendInitiationLocked(peer, isRetry: false, now, output);
        }
    }

    private void StageLocked(Peer peer, ReadOnlySpan<byte> packet)
    {
        if (peer.Staged.Count >= Constants.MaxStagedPackets)
        {
            peer.Staged.Dequeue();
            Counters.CountDrop(DropReason.QueueFull);
        }

        peer.Staged.Enqueue(packet.ToArray());
    }

    /// <summary>Sends staged packets with the current session, or starts a handshake for them.</summary>
    private void SendStagedLocked(Peer peer, long now, IEngineOutput output)
    {
        if (peer.Staged.Count == 0)
        {
            return;
        }

        var keypair = peer.Current;
        var endpoint = peer.EndpointLocked;
        if (keypair is null || keypair.IsExpired(now) || keypair.SendCounter >= Constants.RejectAfterMessages)
        {
            SendInitiationLocked(peer, isRetry: false, now, output);
            return;
        }

        if (!endpoint.IsSet)
        {
            return;
        }

        byte[]? buffer = null;
        try
        {
            while (peer.Staged.TryDequeue(out var packet))
            {
                var counter = keypair.NextSendCounter();
                if (counter >= Constants.RejectAfterMessages)
                {
                    Counters.CountDrop(DropReason.KeyExpired);
                    continue;
                }

                var length = TransportLength(packet.Length);
                if (buffer is null || buffer.Length < length)
                {
                    if (buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                    }

                    buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 2048));
                }

                SealTransport(keypair, counter, packet, buffer);
                output.SendDatagram(endpoint, buffer.AsSpan(0, length));
                AfterTransportSentLocked(peer, keypair, packet.Length, length, now, output);
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
            }
        }
    }

    /// <summary>wireguard-go's SendKeepalive: an empty packet unless real data is already waiting.</summary>
    private void SendKeepaliveLocked(Peer peer, long now, IEngineOutput output)
    {
        if (peer.Staged.Count == 0)
        {
            peer.Staged.Enqueue([]);
        }

        SendStagedLocked(peer, now, output);
    }

    /// <summary>
    /// Sends a handshake initiation unless one went out less than REKEY_TIMEOUT ago (whitepaper section
    /// 6.4: one initiation per 5 s per peer). Retries come from the retransmit timer.
    /// </summary>
    /// <returns>True if an initiation was sent.</returns>
    private bool SendInitiationLocked(Peer peer, bool isRetry, long now, IEngineOutput output)
    {
        var identity = _identity;
        var endpoint = peer.EndpointLocked;
        if (identity is null || !endpoint.IsSet || peer.Removed)
        {
            return false;
        }

        if (!isRetry)
        {
            if (now - peer.LastSentHandshake < Constants.RekeyTimeout)
            {
                return false;
            }

            peer.HandshakeAttempts = 0;
            peer.HandshakeStartedAt = now;
        }

        peer.LastSentHandshake = now;
        var hs = peer.Handshake;
        Indices.Remove(hs.LocalIndex);
        hs.ClearExchange();
        var localIndex = Indices.RegisterHandshake(peer);
        Span<byte> message = stackalloc byte[MessageLayout.InitiationSize];
        var publicKey = identity.PublicKey;
        var peerKey = peer.PublicKey;
        if (!NoiseProtocol.CreateInitiation(hs, publicKey.AsSpan(), peerKey.AsSpan(), UtcNow(), localIndex, message))
        {
            Indices.Remove(localIndex);
            hs.ClearExchange();
            return false;
        }

        peer.Cookies.AddMacs(message, MessageLayout.InitiationMac1, now);
        WireGuardEngineLog.SendingInitiation(_logger, peer, endpoint, isRetry, peer.HandshakeAttempts);
        output.SendDatagram(endpoint, message);
        peer.AddTx(message.Length);
        Counters.CountInitiationSent();
        OnAuthenticatedPacketTraversalLocked(peer, now);
        OnAuthenticatedPacketSentLocked(peer);
        OnHandshakeInitiatedLocked(peer, now);
        return true;
    }
}
