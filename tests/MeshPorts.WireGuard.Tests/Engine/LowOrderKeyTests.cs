using System.Buffers.Binary;
using System.Text;
using MeshPorts.WireGuard.Crypto;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Messages;
using MeshPorts.WireGuard.Noise;
using MeshPorts.WireGuard.Tests.Harness;

namespace MeshPorts.WireGuard.Tests.Engine;

/// <summary>
/// An initiation that A itself builds (so every field is authentic) but with the zero point as its
/// ephemeral key, as a broken or malicious initiator could: DH(e, S_r) is then all zeros, known to
/// anyone, and the session would lose its forward secrecy. Only the X25519 all-zero check stops it, so
/// the responder must drop it; the same hand-built message with a real ephemeral is answered, which
/// shows the drop comes from that check and not from a mistake in building the message.
/// </summary>
public class LowOrderKeyTests
{
    [Fact]
    public void HandBuiltInitiation_WithARealEphemeral_IsAnswered()
    {
        var net = new TestNetwork();
        var (a, b, _, aOnB) = net.Pair();
        var ephemeralPrivate = new byte[32];
        var ephemeralPublic = new byte[32];
        X25519.GenerateKeyPair(ephemeralPrivate, ephemeralPublic);
        var dh = new byte[32];
        Assert.True(X25519.TryAgree(ephemeralPrivate, b.PublicKey.AsSpan(), dh));

        var result = b.Receive(BuildInitiation(net, a, b, ephemeralPublic, dh), a.Endpoint);

        Assert.Equal(DropReason.None, result.Reason);
        Assert.Single(net.Log, d => d.Type == 2);
        Assert.Same(aOnB, result.Peer);
    }

    [Fact]
    public void Initiation_WhoseEphemeralIsTheZeroPoint_IsDropped_ThoughEveryOtherFieldIsAuthentic()
    {
        var net = new TestNetwork();
        var (a, b, _, aOnB) = net.Pair();

        // X25519(anything, 0) = 0: the initiator needs no private key to know this "shared secret".
        var result = b.Receive(BuildInitiation(net, a, b, new byte[32], new byte[32]), a.Endpoint);

        Assert.Equal(DropReason.DecryptFailed, result.Reason);
        Assert.DoesNotContain(net.Log, d => d.Type == 2);
        Assert.False(aOnB.HasCurrentKeypair);
    }

    /// <summary>Whitepaper section 5.4.2 from A to B, with the given ephemeral and its DH with B's static key.</summary>
    private static byte[] BuildInitiation(TestNetwork net, TestNode a, TestNode b, byte[] ephemeralPublic, byte[] ephemeralStaticDh)
    {
        var message = new byte[MessageLayout.InitiationSize];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)MessageType.Initiation);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(MessageLayout.InitiationSender), 0x1234);

        var ck = NoiseProtocol.InitialChainingKey.ToArray();
        var h = new byte[32];
        var key = new byte[32];
        Blake2s.Hash(h, NoiseProtocol.InitialHash, b.PublicKey.AsSpan());

        ephemeralPublic.CopyTo(message, MessageLayout.InitiationEphemeral);
        Kdf.Derive(ck, ephemeralPublic, ck);
        Blake2s.Hash(h, h, ephemeralPublic);

        Kdf.Derive(ck, ephemeralStaticDh, ck, key);
        var encryptedStatic = message.AsSpan(MessageLayout.InitiationStatic, 32 + Aead.TagSize);
        Aead.Seal(key, 0, a.PublicKey.AsSpan(), h, encryptedStatic);
        Blake2s.Hash(h, h, encryptedStatic);

        var staticStatic = new byte[32];
        Assert.True(X25519.TryAgree(a.PrivateKey.AsSpan(), b.PublicKey.AsSpan(), staticStatic));
        Kdf.Derive(ck, staticStatic, ck, key);
        var timestamp = new byte[Tai64N.Size];
        Tai64N.Write(net.Time.GetUtcNow(), timestamp);
        Aead.Seal(key, 0, timestamp, h, message.AsSpan(MessageLayout.InitiationTimestamp, Tai64N.Size + Aead.TagSize));

        // mac1 = MAC(HASH("mac1----" || B's public key), message up to mac1); mac2 stays zero (not under load).
        var mac1Key = new byte[32];
        Mac.DeriveLabelKey(mac1Key, Encoding.ASCII.GetBytes(Constants.LabelMac1), b.PublicKey.AsSpan());
        Mac.Compute(message.AsSpan(MessageLayout.InitiationMac1, Mac.Size), mac1Key, message.AsSpan(0, MessageLayout.InitiationMac1));
        return message;
    }
}
