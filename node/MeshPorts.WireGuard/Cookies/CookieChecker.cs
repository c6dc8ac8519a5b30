using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using MeshPorts.WireGuard.Crypto;
using MeshPorts.WireGuard.Messages;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.WireGuard.Cookies;

/// <summary>
/// The receiving side of the cookie system (whitepaper section 5.4.4 and 5.4.7): checks mac1 with our
/// public key, checks mac2 against the cookie this source would have been given, and builds cookie
/// replies. The random secret is replaced every two minutes, which expires every cookie handed out.
/// </summary>
internal sealed class CookieChecker
{
    private readonly Lock _lock = new();
    private readonly byte[] _mac1Key = new byte[32];
    private readonly byte[] _cookieKey = new byte[32];
    private readonly byte[] _secret = new byte[32];
    private long _secretSetAt;
    private bool _secretSet;
    private bool _hasKey;

    public void Initialize(ReadOnlySpan<byte> ourPublicKey)
    {
        lock (_lock)
        {
            Mac.DeriveLabelKey(_mac1Key, Encoding.ASCII.GetBytes(Constants.LabelMac1), ourPublicKey);
            Mac.DeriveLabelKey(_cookieKey, Encoding.ASCII.GetBytes(Constants.LabelCookie), ourPublicKey);
            _hasKey = true;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            CryptographicOperations.ZeroMemory(_mac1Key);
            CryptographicOperations.ZeroMemory(_cookieKey);
            CryptographicOperations.ZeroMemory(_secret);
            _secretSet = false;
            _hasKey = false;
        }
    }

    /// <summary>mac1 covers everything before it; <paramref name="macOffset"/> is where mac1 starts.</summary>
    public bool CheckMac1(ReadOnlySpan<byte> message, int macOffset)
    {
        Span<byte> mac = stackalloc byte[Mac.Size];
        lock (_lock)
        {
            if (!_hasKey)
            {
                return false;
            }

            Mac.Compute(mac, _mac1Key, message[..macOffset]);
        }

        return CryptographicOperations.FixedTimeEquals(mac, message.Slice(macOffset, Mac.Size));
    }

    /// <summary>mac2 = MAC(cookie(source), message up to mac2); false once the secret is too old.</summary>
    public bool CheckMac2(ReadOnlySpan<byte> message, int mac2Offset, PeerEndpoint source, long now)
    {
        Span<byte> cookie = stackalloc byte[MessageLayout.CookieSize];
        Span<byte> mac = stackalloc byte[Mac.Size];
        lock (_lock)
        {
            if (!_secretSet || now - _secretSetAt > Constants.CookieRefreshTime)
            {
                return false;
            }

            MakeCookie(cookie, source);
        }

        Mac.Compute(mac, cookie, message[..mac2Offset]);
        CryptographicOperations.ZeroMemory(cookie);
        return CryptographicOperations.FixedTimeEquals(mac, message.Slice(mac2Offset, Mac.Size));
    }

    /// <summary>
    /// Writes a 64-byte cookie reply to <paramref name="message"/>, which must carry a valid mac1 at
    /// <paramref name="mac1Offset"/>: the cookie is sealed with that mac1 as associated data, so only
    /// the sender of that exact message can open it.
    /// </summary>
    public void CreateReply(ReadOnlySpan<byte> message, int mac1Offset, uint receiverIndex, PeerEndpoint source, long now, Span<byte> reply)
    {
        Span<byte> cookie = stackalloc byte[MessageLayout.CookieSize];
        lock (_lock)
        {
            if (!_secretSet || now - _secretSetAt > Constants.CookieRefreshTime)
            {
                RandomNumberGenerator.Fill(_secret);
                _secretSetAt = now;
                _secretSet = true;
            }

            MakeCookie(cookie, source);
        }

        reply[..MessageLayout.CookieReplySize].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(reply, (uint)MessageType.CookieReply);
        BinaryPrimitives.WriteUInt32LittleEndian(reply[MessageLayout.CookieReceiver..], receiverIndex);
        var nonce = reply.Slice(MessageLayout.CookieNonce, Aead.XNonceSize);
        RandomNumberGenerator.Fill(nonce);
        Aead.XSeal(_cookieKey, nonce, cookie, message.Slice(mac1Offset, Mac.Size), reply[MessageLayout.CookieEncrypted..]);
        CryptographicOperations.ZeroMemory(cookie);
    }

    private void MakeCookie(Span<byte> cookie, PeerEndpoint source)
    {
        // The cookie binds the source address and port as we saw them, so it cannot be replayed from
        // another address (whitepaper: tau = MAC(R_m, A_m)).
        Span<byte> address = stackalloc byte[18];
        var a = source.IsIPv4 ? source.Address16[12..] : source.Address16;
        a.CopyTo(address);
        BinaryPrimitives.WriteUInt16BigEndian(address[a.Length..], source.Port);
        Mac.Compute(cookie, _secret, address[..(a.Length + 2)]);
    }
}
