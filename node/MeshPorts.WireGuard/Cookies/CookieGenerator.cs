using System.Security.Cryptography;
using System.Text;
using MeshPorts.WireGuard.Crypto;
using MeshPorts.WireGuard.Messages;

namespace MeshPorts.WireGuard.Cookies;

/// <summary>
/// The sending side of the cookie system, one per peer: adds mac1 (keyed with the peer's public key)
/// and, while a cookie from that peer is fresh, mac2. Remembers the last mac1 sent, because a cookie
/// reply is sealed to it. Not thread-safe; the owning peer's lock covers it.
/// </summary>
internal sealed class CookieGenerator
{
    private readonly byte[] _mac1Key = new byte[32];
    private readonly byte[] _cookieKey = new byte[32];
    private readonly byte[] _cookie = new byte[MessageLayout.CookieSize];
    private readonly byte[] _lastMac1 = new byte[Mac.Size];
    private long _cookieSetAt;
    private bool _hasCookie;
    private bool _hasLastMac1;

    public CookieGenerator(ReadOnlySpan<byte> peerPublicKey) => Rekey(peerPublicKey);

    /// <summary>
    /// Derives the keys for a peer whose public key changed. A cookie or a pending reply belongs to the
    /// exchange under the old key, so both are forgotten; the peer hands out a new cookie if it needs one.
    /// </summary>
    public void Rekey(ReadOnlySpan<byte> peerPublicKey)
    {
        Mac.DeriveLabelKey(_mac1Key, Encoding.ASCII.GetBytes(Constants.LabelMac1), peerPublicKey);
        Mac.DeriveLabelKey(_cookieKey, Encoding.ASCII.GetBytes(Constants.LabelCookie), peerPublicKey);
        Clear();
    }

    public bool HasFreshCookie(long now) => _hasCookie && now - _cookieSetAt < Constants.CookieRefreshTime;

    public void AddMacs(Span<byte> message, int mac1Offset, long now)
    {
        var mac1 = message.Slice(mac1Offset, Mac.Size);
        Mac.Compute(mac1, _mac1Key, message[..mac1Offset]);
        mac1.CopyTo(_lastMac1);
        _hasLastMac1 = true;

        var mac2Offset = mac1Offset + Mac.Size;
        var mac2 = message.Slice(mac2Offset, Mac.Size);
        if (HasFreshCookie(now))
        {
            Mac.Compute(mac2, _cookie, message[..mac2Offset]);
        }
        else
        {
            mac2.Clear();
        }
    }

    /// <summary>Opens a cookie reply sealed to our last mac1; true stores the cookie.</summary>
    public bool ConsumeReply(ReadOnlySpan<byte> reply, long now)
    {
        if (!_hasLastMac1)
        {
            return false;
        }

        Span<byte> cookie = stackalloc byte[MessageLayout.CookieSize];
        var nonce = reply.Slice(MessageLayout.CookieNonce, Aead.XNonceSize);
        var sealedCookie = reply.Slice(MessageLayout.CookieEncrypted, MessageLayout.CookieSize + Aead.TagSize);
        if (!Aead.XOpen(_cookieKey, nonce, sealedCookie, _lastMac1, cookie))
        {
            return false;
        }

        cookie.CopyTo(_cookie);
        CryptographicOperations.ZeroMemory(cookie);
        _cookieSetAt = now;
        _hasCookie = true;
        _hasLastMac1 = false;
        return true;
    }

    public void Clear()
    {
        CryptographicOperations.ZeroMemory(_cookie);
        _hasCookie = false;
        _hasLastMac1 = false;
    }
}
