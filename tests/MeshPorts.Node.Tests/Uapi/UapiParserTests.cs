using System.Net;
using MeshPorts.Node.Routing;
using MeshPorts.Node.Uapi;
using MeshPorts.WireGuard.Keys;
using Xunit;

namespace MeshPorts.Node.Tests.Uapi;

public class UapiParserTests
{
    private static readonly string KeyA = new('a', 64);
    private static readonly string KeyB = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static readonly string Zero = new('0', 64);

    private static UapiSetRequest Parse(params string[] lines)
    {
        Assert.True(UapiParser.TryParseSet(lines, out var request, out var errno, out var error), $"errno {errno}: {error}");
        Assert.Equal(0, errno);
        Assert.Null(error);
        return request;
    }

    private static int Reject(params string[] lines)
    {
        Assert.False(UapiParser.TryParseSet(lines, out var request, out var errno, out var error));
        Assert.Null(request);
        Assert.NotNull(error);
        return errno;
    }

    [Fact]
    public void DeviceKeys_AreParsed()
    {
        var r = Parse("private_key=" + KeyB, "listen_port=51820", "fwmark=4294967295", "replace_peers=true");
        Assert.Equal(KeyB, r.PrivateKey!.Value.ToHex());
        Assert.Equal((ushort)51820, r.ListenPort);
        Assert.Equal(uint.MaxValue, r.Fwmark);
        Assert.True(r.ReplacePeers);
        Assert.Empty(r.Peers);
    }

    [Fact]
    public void EmptySet_ChangesNothing()
    {
        var r = Parse();
        Assert.Null(r.PrivateKey);
        Assert.Null(r.ListenPort);
        Assert.Null(r.Fwmark);
        Assert.False(r.ReplacePeers);
        Assert.Empty(r.Peers);
    }

    [Fact]
    public void PrivateKey_AllZero_MeansClear()
    {
        var r = Parse("private_key=" + Zero);
        Assert.True(r.PrivateKey!.Value.IsZero);
    }

    [Fact]
    public void Fwmark_Zero_MeansClear()
    {
        Assert.Equal(0u, Parse("fwmark=0").Fwmark);
    }

    [Theory]
    [InlineData("private_key=")]
    [InlineData("private_key=abc")]
    [InlineData("private_key=zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("private_key=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef00")]
    [InlineData("private_key=YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=")]
    [InlineData("listen_port=")]
    [InlineData("listen_port=65536")]
    [InlineData("listen_port=-1")]
    [InlineData("listen_port=+1")]
    [InlineData("listen_port= 1")]
    [InlineData("listen_port=0x10")]
    [InlineData("fwmark=4294967296")]
    [InlineData("fwmark=abc")]
    [InlineData("replace_peers=false")]
    [InlineData("replace_peers=")]
    [InlineData("replace_peers=TRUE")]
    [InlineData("nonsense=1")]
    [InlineData("=1")]
    [InlineData("endpoint=127.0.0.1:1")]
    [InlineData("allowed_ip=10.0.0.0/8")]
    [InlineData("remove=true")]
    [InlineData("protocol_version=1")]
    public void DeviceSection_BadValueOrKey_IsEinval(string line)
    {
        Assert.Equal(UapiErrno.Invalid, Reject(line));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("listen_port")]
    [InlineData(" ")]
    public void LineWithoutEquals_IsEproto(string line)
    {
        Assert.Equal(UapiErrno.Protocol, Reject("listen_port=1", line));
    }

    [Fact]
    public void PeerSection_AllKeys_AreParsed()
    {
        var r = Parse(
            "public_key=" + KeyA,
            "protocol_version=1",
            "preshared_key=" + KeyB,
            "endpoint=192.0.2.7:51820",
            "persistent_keepalive_interval=25",
            "allowed_ip=10.0.0.0/24",
            "allowed_ip=fd00::1/64");
        var peer = Assert.Single(r.Peers);
        Assert.Equal(KeyA, peer.PublicKey.ToHex());
        Assert.Equal(KeyB, peer.PresharedKey!.Value.ToHex());
        Assert.Equal("192.0.2.7:51820", peer.Endpoint!.Value.ToString());
        Assert.True(peer.Endpoint!.Value.IsIPv4);
        Assert.Equal((ushort)25, peer.PersistentKeepaliveInterval);
        Assert.Equal(["10.0.0.0/24", "fd00::/64"], peer.AllowedIps.Select(p => p.ToString()));
        Assert.False(peer.Remove);
        Assert.False(peer.UpdateOnly);
        Assert.False(peer.ReplaceAllowedIps);
    }

    [Fact]
    public void PeerSection_UnmentionedFields_StayNull()
    {
        var peer = Assert.Single(Parse("public_key=" + KeyA).Peers);
        Assert.Null(peer.PresharedKey);
        Assert.Null(peer.Endpoint);
        Assert.Null(peer.PersistentKeepaliveInterval);
        Assert.Empty(peer.AllowedIps);
    }

    [Theory]
    [InlineData("[2001:db8::1]:51820", "2001:db8::1", 51820)]
    [InlineData("[::1]:1", "::1", 1)]
    [InlineData("[fe80::1%1]:51820", "fe80::1%1", 51820)]
    [InlineData("[::ffff:192.0.2.1]:9", "192.0.2.1", 9)]
    [InlineData("0.0.0.0:0", "0.0.0.0", 0)]
    [InlineData("255.255.255.255:65535", "255.255.255.255", 65535)]
    public void Endpoint_NumericForms_AreParsed(string text, string address, int port)
    {
        var peer = Assert.Single(Parse("public_key=" + KeyA, "endpoint=" + text).Peers);
        var ep = peer.Endpoint!.Value.ToIPEndPoint();
        Assert.Equal(IPAddress.Parse(address), ep.Address);
        Assert.Equal(port, ep.Port);
    }

    [Fact]
    public void Endpoint_WithInterfaceNameScope_ResolvesTheIndex()
    {
        var peer = Assert.Single(Parse("public_key=" + KeyA, "endpoint=[fe80::1%lo]:51820").Peers);
        Assert.Equal(1u, peer.Endpoint!.Value.ScopeId);
        Assert.Equal(1u, Assert.Single(Parse("public_key=" + KeyA, "endpoint=[fe80::1%1]:51820").Peers).Endpoint!.Value.ScopeId);
    }

    [Theory]
    [InlineData("endpoint=")]
    [InlineData("endpoint=192.0.2.1")]
    [InlineData("endpoint=192.0.2.1:")]
    [InlineData("endpoint=192.0.2.1:65536")]
    [InlineData("endpoint=192.0.2:80")]
    [InlineData("endpoint=example.com:51820")]
    [InlineData("endpoint=2001:db8::1:51820")]
    [InlineData("endpoint=[2001:db8::1]")]
    [InlineData("endpoint=[2001:db8::1]51820")]
    [InlineData("endpoint=[192.0.2.1]:80")]
    [InlineData("endpoint=[fe80::1%]:80")]
    [InlineData("endpoint=[fe80::1%nosuchif0]:80")]
    [InlineData("endpoint=[2001:db8::1:80")]
    [InlineData("preshared_key=abc")]
    [InlineData("preshared_key=")]
    [InlineData("persistent_keepalive_interval=65536")]
    [InlineData("persistent_keepalive_interval=-1")]
    [InlineData("persistent_keepalive_interval=")]
    [InlineData("allowed_ip=10.0.0.0")]
    [InlineData("allowed_ip=10.0.0.0/33")]
    [InlineData("allowed_ip=fd00::/129")]
    [InlineData("allowed_ip=")]
    [InlineData("remove=false")]
    [InlineData("remove=1")]
    [InlineData("update_only=false")]
    [InlineData("replace_allowed_ips=false")]
    [InlineData("protocol_version=2")]
    [InlineData("protocol_version=0")]
    [InlineData("protocol_version=")]
    [InlineData("listen_port=1")]
    [InlineData("private_key=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("replace_peers=true")]
    [InlineData("fwmark=1")]
    [InlineData("last_handshake_time_sec=0")]
    [InlineData("tx_bytes=0")]
    public void PeerSection_BadValueOrKey_IsEinval(string line)
    {
        Assert.Equal(UapiErrno.Invalid, Reject("public_key=" + KeyA, line));
    }

    [Theory]
    [InlineData("public_key=")]
    [InlineData("public_key=xyz")]
    [InlineData("public_key=YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=")]
    public void PublicKey_Invalid_IsEinval(string line)
    {
        Assert.Equal(UapiErrno.Invalid, Reject(line));
    }

    [Fact]
    public void MultiplePeers_KeepOrderAndTheirOwnFields()
    {
        var r = Parse(
            "listen_port=1",
            "public_key=" + KeyA,
            "allowed_ip=10.0.0.1/32",
            "public_key=" + KeyB,
            "endpoint=127.0.0.1:2",
            "allowed_ip=10.0.0.2/32",
            "public_key=" + KeyA,
            "remove=true");
        Assert.Equal(3, r.Peers.Count);
        Assert.Equal(KeyA, r.Peers[0].PublicKey.ToHex());
        Assert.Equal(["10.0.0.1/32"], r.Peers[0].AllowedIps.Select(p => p.ToString()));
        Assert.Null(r.Peers[0].Endpoint);
        Assert.Equal(KeyB, r.Peers[1].PublicKey.ToHex());
        Assert.NotNull(r.Peers[1].Endpoint);
        Assert.True(r.Peers[2].Remove);
        Assert.False(r.Peers[0].Remove);
    }

    [Fact]
    public void Remove_And_UpdateOnly_AreFlags()
    {
        var r = Parse("public_key=" + KeyA, "remove=true", "public_key=" + KeyB, "update_only=true", "allowed_ip=10.0.0.0/8");
        Assert.True(r.Peers[0].Remove);
        Assert.True(r.Peers[1].UpdateOnly);
        Assert.False(r.Peers[1].Remove);
        Assert.Single(r.Peers[1].AllowedIps);
    }

    [Fact]
    public void ReplaceAllowedIps_DropsEarlierLinesOfTheSection()
    {
        var r = Parse(
            "public_key=" + KeyA,
            "allowed_ip=10.0.0.0/8",
            "replace_allowed_ips=true",
            "allowed_ip=10.1.0.0/16",
            "allowed_ip=fd00::/8");
        var peer = Assert.Single(r.Peers);
        Assert.True(peer.ReplaceAllowedIps);
        Assert.Equal(["10.1.0.0/16", "fd00::/8"], peer.AllowedIps.Select(p => p.ToString()));
    }

    [Fact]
    public void ReplacePeers_IsADeviceFlag()
    {
        var r = Parse("replace_peers=true", "public_key=" + KeyA);
        Assert.True(r.ReplacePeers);
        Assert.Single(r.Peers);
    }

    [Fact]
    public void BadLineInTheMiddle_YieldsNoRequest()
    {
        var errno = Reject(
            "private_key=" + KeyB,
            "public_key=" + KeyA,
            "allowed_ip=10.0.0.0/24",
            "endpoint=not-an-endpoint",
            "public_key=" + KeyB,
            "allowed_ip=10.0.1.0/24");
        Assert.Equal(UapiErrno.Invalid, errno);
    }

    [Fact]
    public void ErrorMessages_NeverEchoValues()
    {
        Assert.False(UapiParser.TryParseSet(["private_key=" + KeyB + "00"], out _, out _, out var error));
        Assert.DoesNotContain(KeyB, error!, StringComparison.OrdinalIgnoreCase);
        Assert.False(UapiParser.TryParseSet(["public_key=" + KeyA, "preshared_key=" + KeyB + "x"], out _, out _, out error));
        Assert.DoesNotContain(KeyB, error!, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void StringBody_StopsAtTheBlankLine()
    {
        Assert.True(UapiParser.TryParseSet("listen_port=7\npublic_key=" + KeyA + "\n\nlisten_port=bad\n", out var r, out _, out _));
        Assert.Equal((ushort)7, r.ListenPort);
        Assert.Single(r.Peers);
    }

    [Fact]
    public void StringBody_WithoutTrailingNewline_IsParsed()
    {
        Assert.True(UapiParser.TryParseSet("fwmark=3", out var r, out _, out _));
        Assert.Equal(3u, r.Fwmark);
    }

    [Fact]
    public void HexKeys_AcceptUpperCase_AsGoHexDoes()
    {
        var r = Parse("private_key=" + KeyB.ToUpperInvariant());
        Assert.Equal(WgKey.FromBytes(Convert.FromHexString(KeyB)), r.PrivateKey!.Value);
    }

    [Fact]
    public void AllowedIp_WithHostBits_IsNormalized()
    {
        var peer = Assert.Single(Parse("public_key=" + KeyA, "allowed_ip=10.1.2.3/16").Peers);
        Assert.Equal(IpPrefix.Parse("10.1.0.0/16"), Assert.Single(peer.AllowedIps));
    }
}
