using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using MeshPorts.WireGuard.Crypto;
using MeshPorts.WireGuard.Messages;

namespace MeshPorts.WireGuard.Noise;

/// <summary>
/// Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s as WireGuard instantiates it (whitepaper section 5.4.2 -
/// 5.4.5). Pure functions over a <see cref="Handshake"/> and message buffers; the engine decides
/// when to call them and holds the peer lock while it does.
/// </summary>
internal static class NoiseProtocol
{
    public const int KeySize = 32;

    /// <summary>C_i = HASH(Construction).</summary>
    public static ReadOnlySpan<byte> InitialChainingKey => InitialValues.ChainingKey;

    /// <summary>H_i = HASH(C_i || Identifier).</summary>
    public static ReadOnlySpan<byte> InitialHash => InitialValues.Hash;

    /// <summary>Writes an initiation up to (not including) mac1; the caller adds the MACs.</summary>
    public static bool CreateInitiation(Handshake hs, ReadOnlySpan<byte> localStaticPublic, ReadOnlySpan<byte> remoteStaticPublic,
        DateTimeOffset utcNow, uint localIndex, Span<byte> message)
    {
        if (!hs.HasStaticStatic)
        {
            return false;
        }

        Span<byte> ck = hs.ChainingKey;
        Span<byte> h = hs.Hash;
        Span<byte> key = stackalloc byte[KeySize];
        Span<byte> dh = stackalloc byte[KeySize];
        Span<byte> timestamp = stackalloc byte[Tai64N.Size];
        try
        {
            message[..MessageLayout.InitiationSize].Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)MessageType.Initiation);
            BinaryPrimitives.WriteUInt32LittleEndian(message[MessageLayout.InitiationSender..], localIndex);

            InitialChainingKey.CopyTo(ck);
            Blake2s.Hash(h, InitialHash, remoteStaticPublic);

            var ephemeral = message.Slice(MessageLayout.InitiationEphemeral, KeySize);
            X25519.GenerateKeyPair(hs.LocalEphemeralPrivate, ephemeral);
            Kdf.Derive(ck, ephemeral, ck);
            Blake2s.Hash(h, h, ephemeral);

            if (!X25519.TryAgree(hs.LocalEphemeralPrivate, remoteStaticPublic, dh))
            {
                return false;
            }

            Kdf.Derive(ck, dh, ck, key);
            var encryptedStatic = message.Slice(MessageLayout.InitiationStatic, KeySize + Aead.TagSize);
            Aead.Seal(key, 0, localStaticPublic, h, encryptedStatic);
            Blake2s.Hash(h, h, encryptedStatic);

            Kdf.Derive(ck, hs.PrecomputedStaticStatic, ck, key);
            Tai64N.Write(utcNow, timestamp);
            var encryptedTimestamp = message.Slice(MessageLayout.InitiationTimestamp, Tai64N.Size + Aead.TagSize);
            Aead.Seal(key, 0, timestamp, h, encryptedTimestamp);
            Blake2s.Hash(h, h, encryptedTimestamp);

            hs.LocalIndex = localIndex;
            hs.State = HandshakeState.InitiationCreated;
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(dh);
        }
    }

    /// <summary>
    /// First half of consuming an initiation, before we know the peer: recovers the initiator's static
    /// public key. <paramref name="ck"/> and <paramref name="h"/> carry the state to <see cref="FinishInitiation"/>.
    /// </summary>
    public static bool OpenInitiationStatic(ReadOnlySpan<byte> message, ReadOnlySpan<byte> localStaticPrivate, ReadOnlySpan<byte> localStaticPublic,
        Span<byte> ck, Span<byte> h, Span<byte> remoteStaticPublic)
    {
        Span<byte> key = stackalloc byte[KeySize];
        Span<byte> dh = stackalloc byte[KeySize];
        try
        {
            InitialChainingKey.CopyTo(ck);
            Blake2s.Hash(h, InitialHash, localStaticPublic);

            var ephemeral = message.Slice(MessageLayout.InitiationEphemeral, KeySize);
            Kdf.Derive(ck, ephemeral, ck);
            Blake2s.Hash(h, h, ephemeral);

            if (!X25519.TryAgree(localStaticPrivate, ephemeral, dh))
            {
                return false;
            }

            Kdf.Derive(ck, dh, ck, key);
            var encryptedStatic = message.Slice(MessageLayout.InitiationStatic, KeySize + Aead.TagSize);
            if (!Aead.Open(key, 0, encryptedStatic, h, remoteStaticPublic))
            {
                return false;
            }

            Blake2s.Hash(h, h, encryptedStatic);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(dh);
        }
    }

    /// <summary>Second half, under the peer lock: authenticates the timestamp with the static-static DH.</summary>
    public static InitiationOutcome FinishInitiation(Handshake hs, ReadOnlySpan<byte> message, ReadOnlySpan<byte> ck, ReadOnlySpan<byte> h, long now)
    {
        if (!hs.HasStaticStatic)
        {
            return InitiationOutcome.DecryptFailed;
        }

        Span<byte> chain = stackalloc byte[KeySize];
        Span<byte> hash = stackalloc byte[KeySize];
        Span<byte> key = stackalloc byte[KeySize];
        Span<byte> timestamp = stackalloc byte[Tai64N.Size];
        try
        {
            ck.CopyTo(chain);
            h.CopyTo(hash);
            Kdf.Derive(chain, hs.PrecomputedStaticStatic, chain, key);
            var encryptedTimestamp = message.Slice(MessageLayout.InitiationTimestamp, Tai64N.Size + Aead.TagSize);
            if (!Aead.Open(key, 0, encryptedTimestamp, hash, timestamp))
            {
                return InitiationOutcome.DecryptFailed;
            }

            Blake2s.Hash(hash, hash, encryptedTimestamp);

            // Whitepaper section 5.1: a replayed initiation carries an old timestamp; it is dropped
            // so it cannot reset the responder's session.
            if (!Tai64N.IsAfter(timestamp, hs.LastTimestamp))
            {
                return InitiationOutcome.StaleTimestamp;
            }

            // wireguard-go's flood guard: a valid initiation consumed less than 20 ms ago.
            if (now - hs.LastInitiationConsumed <= Constants.HandshakeInitiationRate)
            {
                return InitiationOutcome.Flood;
            }

            timestamp.CopyTo(hs.LastTimestamp);
            hs.LastInitiationConsumed = now;
            chain.CopyTo(hs.ChainingKey);
            hash.CopyTo(hs.Hash);
            message.Slice(MessageLayout.InitiationEphemeral, KeySize).CopyTo(hs.RemoteEphemeral);
            hs.RemoteIndex = BinaryPrimitives.ReadUInt32LittleEndian(message[MessageLayout.InitiationSender..]);
            hs.State = HandshakeState.InitiationConsumed;
            return InitiationOutcome.Accepted;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(chain);
            CryptographicOperations.ZeroMemory(hash);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Writes a response up to mac1 for a consumed initiation.</summary>
    public static bool CreateResponse(Handshake hs, uint localIndex, Span<byte> message)
    {
        if (hs.State != HandshakeState.InitiationConsumed)
        {
            return false;
        }

        Span<byte> ck = hs.ChainingKey;
        Span<byte> h = hs.Hash;
        Span<byte> dh = stackalloc byte[KeySize];
        Span<byte> tau = stackalloc byte[KeySize];
        Span<byte> key = stackalloc byte[KeySize];
        try
        {
            message[..MessageLayout.ResponseSize].Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)MessageType.Response);
            BinaryPrimitives.WriteUInt32LittleEndian(message[MessageLayout.ResponseSender..], localIndex);
            BinaryPrimitives.WriteUInt32LittleEndian(message[MessageLayout.ResponseReceiver..], hs.RemoteIndex);

            var ephemeral = message.Slice(MessageLayout.ResponseEphemeral, KeySize);
            X25519.GenerateKeyPair(hs.LocalEphemeralPrivate, ephemeral);
            Kdf.Derive(ck, ephemeral, ck);
            Blake2s.Hash(h, h, ephemeral);

            if (!X25519.TryAgree(hs.LocalEphemeralPrivate, hs.RemoteEphemeral, dh))
            {
                return false;
            }

            Kdf.Derive(ck, dh, ck);

            // DH(E_priv_r, S_pub_i) equals DH(S_priv_i, E_pub_r); the initiator's static key is the peer's.
            if (!X25519.TryAgree(hs.LocalEphemeralPrivate, hs.RemoteStaticForResponse, dh))
            {
                return false;
            }

            Kdf.Derive(ck, dh, ck);
            Kdf.Derive(ck, hs.PresharedKey, ck, tau, key);
            Blake2s.Hash(h, h, tau);
            var empty = message.Slice(MessageLayout.ResponseEmpty, Aead.TagSize);
            Aead.Seal(key, 0, [], h, empty);
            Blake2s.Hash(h, h, empty);

            hs.LocalIndex = localIndex;
            hs.State = HandshakeState.ResponseCreated;
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dh);
            CryptographicOperations.ZeroMemory(tau);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Consumes a response to our initiation; on success the session keys can be derived.</summary>
    public static bool ConsumeResponse(Handshake hs, ReadOnlySpan<byte> message, ReadOnlySpan<byte> localStaticPrivate)
    {
        if (hs.State != HandshakeState.InitiationCreated)
        {
            return false;
        }

        Span<byte> ck = stackalloc byte[KeySize];
        Span<byte> h = stackalloc byte[KeySize];
        Span<byte> dh = stackalloc byte[KeySize];
        Span<byte> tau = stackalloc byte[KeySize];
        Span<byte> key = stackalloc byte[KeySize];
        try
        {
            hs.ChainingKey.CopyTo(ck);
            hs.Hash.CopyTo(h);

            var ephemeral = message.Slice(MessageLayout.ResponseEphemeral, KeySize);
            Kdf.Derive(ck, ephemeral, ck);
            Blake2s.Hash(h, h, ephemeral);

            if (!X25519.TryAgree(hs.LocalEphemeralPrivate, ephemeral, dh))
            {
                return false;
            }

            Kdf.Derive(ck, dh, ck);
            if (!X25519.TryAgree(localStaticPrivate, ephemeral, dh))
            {
                return false;
            }

            Kdf.Derive(ck, dh, ck);
            Kdf.Derive(ck, hs.PresharedKey, ck, tau, key);
            Blake2s.Hash(h, h, tau);
            var empty = message.Slice(MessageLayout.ResponseEmpty, Aead.TagSize);
            if (!Aead.Open(key, 0, empty, h, []))
            {
                return false;
            }

            Blake2s.Hash(h, h, empty);
            ck.CopyTo(hs.ChainingKey);
            h.CopyTo(hs.Hash);
            hs.RemoteIndex = BinaryPrimitives.ReadUInt32LittleEndian(message[MessageLayout.ResponseSender..]);
            hs.State = HandshakeState.ResponseConsumed;
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ck);
            CryptographicOperations.ZeroMemory(h);
            CryptographicOperations.ZeroMemory(dh);
            CryptographicOperations.ZeroMemory(tau);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>(T_send, T_recv) = KDF2(C, empty), swapped for the responder (whitepaper section 5.4.5).</summary>
    public static void DeriveTransportKeys(Handshake hs, bool isInitiator, Span<byte> sendKey, Span<byte> receiveKey)
    {
        if (isInitiator)
        {
            Kdf.Derive(hs.ChainingKey, [], sendKey, receiveKey);
        }
        else
        {
            Kdf.Derive(hs.ChainingKey, [], receiveKey, sendKey);
        }
    }

    private static class InitialValues
    {
        public static readonly byte[] ChainingKey = ComputeChainingKey();
        public static readonly byte[] Hash = ComputeHash();

        private static byte[] ComputeChainingKey()
        {
            var ck = new byte[KeySize];
            Blake2s.Hash(ck, Encoding.ASCII.GetBytes(Constants.Construction));
            return ck;
        }

        private static byte[] ComputeHash()
        {
            var h = new byte[KeySize];
            Blake2s.Hash(h, ComputeChainingKey(), Encoding.ASCII.GetBytes(Constants.Identifier));
            return h;
        }
    }
}
