using System.Net;
using MeshPorts.Node.Routing;
using MeshPorts.Node.Uapi;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;
using Xunit;

namespace MeshPorts.Node.Tests.Uapi;

public class UapiWriterTests
{
    private static WgKey Key(byte fill) => WgKey.FromBytes(Enumerable.Repeat(fill, 32).ToArray());

    [Fact]
    public void GetResponse_MatchesWireguardGoFormat()
    {
        var snapshot = new UapiDeviceSnapshot
        {
            PrivateKey = Key(0x11),
            ListenPort = 51820,
            Fwmark = 0x20,
            Peers =
            [
                new UapiPeerSnapshot
                {
                    PublicKey = Key(0xab),
                    PresharedKey = Key(0x01),
                    Endpoint = PeerEndpoint.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:51820")),
                    LastHandshake = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1234567),
                    TxBytes = 1000,
                    RxBytes = ulong.MaxValue,
                    PersistentKeepaliveInterval = 25,
                    AllowedIps = [IpPrefix.Parse("10.0.0.0/24"), IpPrefix.Parse("fd00::/64")],
                },
                new UapiPeerSnapshot
                {
                    PublicKey = Key(0xcd),
                    Endpoint = PeerEndpoint.FromIPEndPoint(IPEndPoint.Parse("[2001:db8::2]:1")),
                },
                new UapiPeerSnapshot { PublicKey = Key(0xef) },
            ],
        };

        var expected =
            "private_key=" + new string('1', 64) + "\n" +
            "listen_port=51820\n" +
            "fwmark=32\n" +
            "public_key=" + string.Concat(Enumerable.Repeat("ab", 32)) + "\n" +
            "preshared_key=" + string.Concat(Enumerable.Repeat("01", 32)) + "\n" +
            "protocol_version=1\n" +
            "endpoint=192.0.2.1:51820\n" +
            "last_handshake_time_sec=1700000000\n" +
            "last_handshake_time_nsec=123456700\n" +
            "tx_bytes=1000\n" +
            "rx_bytes=18446744073709551615\n" +
            "persistent_keepalive_interval=25\n" +
            "allowed_ip=10.0.0.0/24\n" +
            "allowed_ip=fd00::/64\n" +
            "public_key=" + string.Concat(Enumerable.Repeat("cd", 32)) + "\n" +
            "preshared_key=" + new string('0', 64) + "\n" +
            "protocol_version=1\n" +
            "endpoint=[2001:db8::2]:1\n" +
            "last_handshake_time_sec=0\n" +
            "last_handshake_time_nsec=0\n" +
            "tx_bytes=0\n" +
            "rx_bytes=0\n" +
            "persistent_keepalive_interval=0\n" +
            "public_key=" + string.Concat(Enumerable.Repeat("ef", 32)) + "\n" +
            "preshared_key=" + new string('0', 64) + "\n" +
            "protocol_version=1\n" +
            "last_handshake_time_sec=0\n" +
            "last_handshake_time_nsec=0\n" +
            "tx_bytes=0\n" +
            "rx_bytes=0\n" +
            "persistent_keepalive_interval=0\n" +
            "errno=0\n\n";
        Assert.Equal(expected, UapiWriter.FormatGetResponse(snapshot));
    }

    [Fact]
    public void GetResponse_UnsetDeviceFields_AreOmitted()
    {
        Assert.Equal("errno=0\n\n", UapiWriter.FormatGetResponse(new UapiDeviceSnapshot()));
        Assert.Equal("errno=0\n\n", UapiWriter.FormatGetResponse(new UapiDeviceSnapshot { PrivateKey = default(WgKey) }));
    }

    [Theory]
    [InlineData(0, "errno=0\n\n")]
    [InlineData(22, "errno=-22\n\n")]
    [InlineData(98, "errno=-98\n\n")]
    public void Status_FailuresAreNegated_AsWireguardGoWritesThem(int errno, string expected)
    {
        Assert.Equal(expected, UapiWriter.FormatStatus(errno));
    }

    [Fact]
    public void UnixTime_BeforeEpochOrNever_IsZero()
    {
        Assert.Equal((0L, 0L), UapiWriter.UnixTime(null));
        Assert.Equal((0L, 0L), UapiWriter.UnixTime(DateTimeOffset.UnixEpoch.AddSeconds(-5)));
        Assert.Equal((5L, 100L), UapiWriter.UnixTime(DateTimeOffset.UnixEpoch.AddSeconds(5).AddTicks(1)));
    }

    [Fact]
    public void GetResponse_IsParsableBackAsSetLines()
    {
        // Every line wg reads back is key=value, and the reply ends with exactly one blank line.
        var text = UapiWriter.FormatGetResponse(new UapiDeviceSnapshot
        {
            ListenPort = 1,
            Peers = [new UapiPeerSnapshot { PublicKey = Key(2), AllowedIps = [IpPrefix.Parse("0.0.0.0/0")] }],
        });
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        var lines = text[..^2].Split('\n');
        Assert.All(lines, l => Assert.Contains('=', l));
        Assert.Equal("errno=0", lines[^1]);
    }
}
