using System.Security.Cryptography;
using System.Text;
using MeshPorts.Contracts.Auth;
using MeshPorts.Node.StateDirectory;
using NSec.Cryptography;

namespace MeshPorts.Node.Tests.Coordinator;

/// <summary>
/// The signed bytes, built by hand from node.proto's text, must equal what Contracts builds (which both the
/// coordinator's verifier and the node's client use).
/// </summary>
public sealed class NodeSignaturesTests
{
    [Fact]
    public void EnrollBytes_FollowNodeProtoLayout_ByteForByte()
    {
        var machine = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var wg = Enumerable.Range(101, 32).Select(i => (byte)i).ToArray();
        const long ts = 0x0102030405060708;

        var expected = Concat(
            Encoding.ASCII.GetBytes("meshports-enroll-v1"), [0],
            machine,
            wg,
            [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08],
            SHA256.HashData(Encoding.UTF8.GetBytes("sécret")));

        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(NodeSignatures.EnrollBytes(machine, wg, ts, "sécret")));
    }

    [Fact]
    public void AuthBytes_FollowNodeProtoLayout_ByteForByte()
    {
        var nonce = Enumerable.Range(7, 32).Select(i => (byte)i).ToArray();
        var body = SHA256.HashData([1, 2, 3]);
        const long ts = -2;

        var expected = Concat(
            Encoding.ASCII.GetBytes("meshports-auth-v1"), [0],
            Encoding.UTF8.GetBytes("/meshports.node.v1.NodeControl/Watch"), [0],
            nonce,
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe],
            body);

        Assert.Equal(
            Convert.ToHexString(expected),
            Convert.ToHexString(NodeSignatures.AuthBytes("/meshports.node.v1.NodeControl/Watch", nonce, ts, body)));
    }

    [Fact]
    public void MachineKey_SignatureVerifiesWithItsPublicKey_AndSurvivesASeedRoundTrip()
    {
        using var key = MachineKey.Generate();
        var seed = key.ExportSeed();
        using var again = MachineKey.FromSeed(seed);
        var data = NodeSignatures.AuthBytes("/m", [1, 2], 5, new byte[32]);

        var signature = again.Sign(data);

        Assert.True(again.HasPublicKey(key.PublicKey.Span));
        var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, key.PublicKey.Span, KeyBlobFormat.RawPublicKey);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(publicKey, data, signature));
        data[^1] ^= 1;
        Assert.False(SignatureAlgorithm.Ed25519.Verify(publicKey, data, signature));
    }

    [Fact]
    public void MachineKey_FromSeedOfWrongLength_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => MachineKey.FromSeed(new byte[31]));
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
