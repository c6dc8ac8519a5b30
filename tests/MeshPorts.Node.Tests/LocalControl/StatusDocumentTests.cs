using System.Runtime.Versioning;
using System.Text.Json;
using MeshPorts.Node.Cli;
using MeshPorts.Node.LocalControl.Status;

namespace MeshPorts.Node.Tests.LocalControl;

[SupportedOSPlatform("linux")]
public sealed class StatusDocumentTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 9, 0, 0, TimeSpan.Zero);

    private static NodeStatusDocument Document(bool connected = true, IReadOnlyList<PeerStatusDocument>? peers = null) => new()
    {
        Name = "db",
        Interface = "mp0",
        OverlayIp = "100.64.0.1",
        OverlayIpv6 = "fd00::1",
        PublicKey = "PUBKEY=",
        KeyExpiresAt = Now.AddMinutes(40),
        ListenPort = 51820,
        Coordinator = new CoordinatorStatusDocument("https://coord:7443/", connected, 42, Now.AddSeconds(-3), connected ? null : "connection refused", 2),
        Exposed = [new ExposedStatusDocument(5432, "tcp", "postgres", true, 10, 1, 0)],
        Peers = peers ??
        [
            new PeerStatusDocument("laptop", "100.64.0.2", ["100.64.0.2/32"], "LAPTOP=", "192.0.2.2:51820", Now.AddSeconds(-12), Now.AddMinutes(30), 1000, 2000, PeerStatusDocument.PathOf(hasEndpoint: true)),
        ],
        Filter = new FilterStatusDocument(3, 4, 100, 5, 1),
    };

    [Fact]
    public void Json_UsesTheFieldNamesProductMdPromises()
    {
        var json = JsonSerializer.Serialize(Document(), StatusJsonContext.Default.NodeStatusDocument);
        using var parsed = JsonDocument.Parse(json);
        var root = parsed.RootElement;

        foreach (var name in new[] { "name", "overlayIp", "publicKey", "keyExpiresAt", "coordinator", "exposed", "peers" })
        {
            Assert.True(root.TryGetProperty(name, out _), $"status --json lacks '{name}'");
        }

        foreach (var name in new[] { "url", "connected", "serial" })
        {
            Assert.True(root.GetProperty("coordinator").TryGetProperty(name, out _), $"coordinator lacks '{name}'");
        }

        var peer = root.GetProperty("peers")[0];
        foreach (var name in new[] { "name", "overlayIp", "publicKey", "endpoint", "latestHandshake", "validUntil", "rxBytes", "txBytes", "path" })
        {
            Assert.True(peer.TryGetProperty(name, out _), $"a peer lacks '{name}'");
        }

        Assert.Equal(42UL, root.GetProperty("coordinator").GetProperty("serial").GetUInt64());
        Assert.Equal(2000, peer.GetProperty("txBytes").GetInt64());
        Assert.Equal("direct", peer.GetProperty("path").GetString());
        Assert.Equal("none", PeerStatusDocument.PathOf(hasEndpoint: false));
    }

    [Fact]
    public void Json_RelayedPeer_ShowsPathRelayTheRelaysEndpointIdAndTransport()
    {
        var relayed = new PeerStatusDocument("ci", "100.64.0.3", ["100.64.0.3/32"], "CI=", "198.51.100.7:3478", Now.AddSeconds(-2), Now.AddMinutes(30), 10, 20, "relay", "relay-1", "udp", 300, 400);
        var json = JsonSerializer.Serialize(Document(peers: [relayed]), StatusJsonContext.Default.NodeStatusDocument);
        using var parsed = JsonDocument.Parse(json);
        var peer = parsed.RootElement.GetProperty("peers")[0];

        Assert.Equal("relay", peer.GetProperty("path").GetString());
        Assert.Equal("198.51.100.7:3478", peer.GetProperty("endpoint").GetString());
        Assert.Equal("relay-1", peer.GetProperty("relayId").GetString());
        Assert.Equal("udp", peer.GetProperty("transport").GetString());
        Assert.Equal(300, peer.GetProperty("relayedRxBytes").GetInt64());
        Assert.Equal(400, peer.GetProperty("relayedTxBytes").GetInt64());

        using var direct = JsonDocument.Parse(JsonSerializer.Serialize(Document(), StatusJsonContext.Default.NodeStatusDocument));
        Assert.Equal(JsonValueKind.Null, direct.RootElement.GetProperty("peers")[0].GetProperty("relayId").ValueKind);
    }

    [Fact]
    public void Json_WritesTimesAsRfc3339UtcWithZ_AsMeshctlDoes()
    {
        var document = Document() with { KeyExpiresAt = new DateTimeOffset(2026, 11, 29, 11, 40, 0, 250, TimeSpan.FromHours(2)).AddTicks(1234) };

        using var parsed = JsonDocument.Parse(JsonSerializer.Serialize(document, StatusJsonContext.Default.NodeStatusDocument));
        var root = parsed.RootElement;

        Assert.Equal("2026-11-29T09:40:00.250Z", root.GetProperty("keyExpiresAt").GetString());
        Assert.Equal("2026-11-29T09:30:00Z", root.GetProperty("peers")[0].GetProperty("validUntil").GetString());
        Assert.Equal("2026-11-29T08:59:48Z", root.GetProperty("peers")[0].GetProperty("latestHandshake").GetString());
        Assert.Equal("2026-11-29T08:59:57Z", root.GetProperty("coordinator").GetProperty("lastContact").GetString());
    }

    [Fact]
    public void Json_ReadsTheOlderOffsetForm()
    {
        var json = JsonSerializer.Serialize(Document(), StatusJsonContext.Default.NodeStatusDocument)
            .Replace("2026-11-29T09:40:00Z", "2026-11-29T09:40:00.0000000+00:00", StringComparison.Ordinal);

        var back = JsonSerializer.Deserialize(json, StatusJsonContext.Default.NodeStatusDocument)!;

        Assert.Equal(Now.AddMinutes(40), back.KeyExpiresAt);
    }

    [Fact]
    public void Json_RoundTrips()
    {
        var document = Document();

        var json = JsonSerializer.Serialize(document, StatusJsonContext.Default.NodeStatusDocument);
        var back = JsonSerializer.Deserialize(json, StatusJsonContext.Default.NodeStatusDocument)!;

        Assert.Equal(document.Name, back.Name);
        Assert.Equal(document.Coordinator, back.Coordinator);
        Assert.Equal(document.Filter, back.Filter);
        Assert.Equal(document.KeyExpiresAt, back.KeyExpiresAt);
        Assert.Equal(document.Peers[0].ValidUntil, back.Peers[0].ValidUntil);
    }

    [Fact]
    public void Format_ShowsNodeCoordinatorExposedAndPeers()
    {
        var text = LocalCommands.Format(Document(), Now);

        Assert.Contains("node db on mp0: 100.64.0.1  fd00::1", text, StringComparison.Ordinal);
        Assert.Contains("expires 2026-11-29T09:40:00Z", text, StringComparison.Ordinal);
        Assert.Contains("coordinator https://coord:7443/: connected, serial 42, last contact 3 s ago", text, StringComparison.Ordinal);
        Assert.Contains("exposed 5432/tcp (postgres): listening", text, StringComparison.Ordinal);
        Assert.Contains("peer laptop 100.64.0.2: direct 192.0.2.2:51820, handshake 12 s ago, valid until 2026-11-29T09:30:00Z", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_SaysHowEachPeerIsReached_DirectWithItsRoundTrip_RelayedWithRelayAndTransport_OrNotYet()
    {
        var direct = new PeerStatusDocument("db", "100.64.0.4", ["100.64.0.4/32"], "DB=", "198.51.100.11:51820", null, Now.AddMinutes(30), 0, 0, "direct", RttMs: 3.14);
        var relayed = new PeerStatusDocument("ci", "100.64.0.3", ["100.64.0.3/32"], "CI=", "198.51.100.1:7443", null, Now.AddMinutes(30), 0, 0, "relay", "coordinator", "tls");
        var none = new PeerStatusDocument("new", "100.64.0.5", ["100.64.0.5/32"], "NEW=", null, null, Now.AddMinutes(30), 0, 0, "none");

        var text = LocalCommands.Format(Document(peers: [direct, relayed, none]), Now);

        Assert.Contains("peer db 100.64.0.4: direct 198.51.100.11:51820 (3.1 ms),", text, StringComparison.Ordinal);
        Assert.Contains("peer ci 100.64.0.3: relay coordinator over tls (198.51.100.1:7443),", text, StringComparison.Ordinal);
        Assert.Contains("peer new 100.64.0.5: no path yet,", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_Disconnected_SaysSoWithTheReason()
    {
        var text = LocalCommands.Format(Document(connected: false, peers: []), Now);

        Assert.Contains("NOT connected (connection refused)", text, StringComparison.Ordinal);
        Assert.Contains("peers: none", text, StringComparison.Ordinal);
    }
}
