using MeshPorts.Integration.Tests.Harness;

namespace MeshPorts.Integration.Tests.Tests;

/// <summary>
/// WireGuard paper section 2.1: a peer's endpoint is wherever its latest authenticated packet came
/// from. B moves; A must follow without being reconfigured.
/// </summary>
[Collection(NetNsCollection.Name)]
public sealed class RoamingTests
{
    private const int NewPort = 51899;
    private const string NewAddress = "198.18.0.3";

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Pairs.All), MemberType = typeof(Pairs))]
    public async Task Roaming_PeerChangesListenPort_EndpointFollowsAndTrafficContinues(PeerKind a, PeerKind b)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(100));
        await using var pair = await PeerPair.CreateAsync(a, b, cts.Token);
        await ExchangeAsync(pair, cts.Token);

        await pair.B.SetAsync(cts.Token, "listen-port", NewPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await AssertFollowsAsync(pair, $"{TwoHostNetwork.RightUnderlay}:{NewPort}", cts.Token);
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Pairs.All), MemberType = typeof(Pairs))]
    public async Task Roaming_PeerMovesToNewUnderlayAddressAndPort_EndpointFollowsAndTrafficContinues(PeerKind a, PeerKind b)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(100));
        await using var pair = await PeerPair.CreateAsync(a, b, cts.Token);
        await ExchangeAsync(pair, cts.Token);

        var link = pair.Network.RightLink;
        // Old address first: deleting a primary address also deletes the secondaries of its subnet.
        await pair.Network.Right.IpAsync(cts.Token, "addr", "del", $"{TwoHostNetwork.RightUnderlay}/{TwoHostNetwork.UnderlayPrefixLength}", "dev", link);
        await pair.Network.Right.IpAsync(cts.Token, "addr", "add", $"{NewAddress}/{TwoHostNetwork.UnderlayPrefixLength}", "dev", link);

        // A host that changes networks rebinds; wireguard-go only forgets its cached source address
        // when it rebinds (it keeps failing with ENETUNREACH otherwise), so the move includes a new port.
        await pair.B.SetAsync(cts.Token, "listen-port", NewPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await AssertFollowsAsync(pair, $"{NewAddress}:{NewPort}", cts.Token);
    }

    private static async Task ExchangeAsync(PeerPair pair, CancellationToken ct)
    {
        var there = await pair.A.PingAsync(PeerPair.OverlayB, count: 3, intervalSeconds: 0.2, ct);
        var back = await pair.B.PingAsync(PeerPair.OverlayA, count: 3, intervalSeconds: 0.2, ct);
        await pair.AssertAsync(there.Received == 3 && back.Received == 3, $"before roaming: A->B {there.Received}/3, B->A {back.Received}/3");
        var endpoint = (await pair.A.ShowDumpAsync(ct)).Peer(pair.KeysB.PublicKey).Endpoint;
        await pair.AssertAsync(
            endpoint == $"{TwoHostNetwork.RightUnderlay}:{PeerPair.PortB}",
            $"before roaming A reports B at {endpoint}");
    }

    private static async Task AssertFollowsAsync(PeerPair pair, string expectedEndpoint, CancellationToken ct)
    {
        // B speaks first from its new place; that is what teaches A where B is now.
        var fromNew = await pair.B.PingAsync(PeerPair.OverlayA, count: 5, intervalSeconds: 0.2, ct);
        await pair.AssertAsync(fromNew.Received >= 4, $"B -> A after moving: {fromNew.Received}/5\n{fromNew.Output}");

        var endpoint = (await pair.A.ShowDumpAsync(ct)).Peer(pair.KeysB.PublicKey).Endpoint;
        await pair.AssertAsync(endpoint == expectedEndpoint, $"A reports B at {endpoint}, expected {expectedEndpoint}");

        var toNew = await pair.A.PingAsync(PeerPair.OverlayB, count: 5, intervalSeconds: 0.2, ct);
        await pair.AssertAsync(toNew.Received == 5, $"A -> B at its new endpoint: {toNew.Received}/5\n{toNew.Output}");
    }
}
