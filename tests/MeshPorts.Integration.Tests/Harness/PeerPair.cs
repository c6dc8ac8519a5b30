using System.Globalization;
using System.Text;

namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// Two WireGuard peers on <see cref="TwoHostNetwork"/>, each knowing the other's endpoint, so either
/// can start the handshake. A is configured with `wg set`, B with `wg setconf`, so both ways of
/// driving the UAPI are exercised on every implementation.
/// </summary>
internal sealed class PeerPair : IAsyncDisposable
{
    public const string OverlayA = "100.96.0.1";
    public const string OverlayB = "100.96.0.2";
    public const string Overlay6A = "fd7a:6d70:6974::1";
    public const string Overlay6B = "fd7a:6d70:6974::2";
    public const int PortA = 51801;
    public const int PortB = 51802;

    private PeerPair(TwoHostNetwork network, WgPeer a, WgPeer b, WgKeyPair keysA, WgKeyPair keysB)
    {
        Network = network;
        A = a;
        B = b;
        KeysA = keysA;
        KeysB = keysB;
    }

    public TwoHostNetwork Network { get; }

    /// <summary>The peer in the left namespace, underlay <see cref="TwoHostNetwork.LeftUnderlay"/>.</summary>
    public WgPeer A { get; }

    /// <summary>The peer in the right namespace, underlay <see cref="TwoHostNetwork.RightUnderlay"/>.</summary>
    public WgPeer B { get; }

    public WgKeyPair KeysA { get; }

    public WgKeyPair KeysB { get; }

    public static async Task<PeerPair> CreateAsync(PeerKind kindA, PeerKind kindB, CancellationToken ct)
    {
        var network = await TwoHostNetwork.CreateAsync(ct);
        var a = WgPeer.Create(kindA, network.Left);
        var b = WgPeer.Create(kindB, network.Right);
        PeerPair? pair = null;
        try
        {
            pair = new PeerPair(network, a, b, await WgKeyPair.GenerateAsync(ct), await WgKeyPair.GenerateAsync(ct));
            await a.StartAsync(ct);
            await b.StartAsync(ct);

            await a.SetPrivateKeyAsync(pair.KeysA, ct);
            await a.SetAsync(
                ct,
                "listen-port", PortA.ToString(CultureInfo.InvariantCulture),
                "peer", pair.KeysB.PublicKey,
                "allowed-ips", $"{OverlayB}/32,{Overlay6B}/128",
                "endpoint", $"{TwoHostNetwork.RightUnderlay}:{PortB}");

            await b.SetConfAsync(
                $"""
                [Interface]
                PrivateKey = {pair.KeysB.PrivateKey}
                ListenPort = {PortB}

                [Peer]
                PublicKey = {pair.KeysA.PublicKey}
                AllowedIPs = {OverlayA}/32, {Overlay6A}/128
                Endpoint = {TwoHostNetwork.LeftUnderlay}:{PortA}

                """,
                ct);

            await a.AddAddressAsync($"{OverlayA}/24", ct);
            await a.AddAddressAsync($"{Overlay6A}/64", ct);
            await b.AddAddressAsync($"{OverlayB}/24", ct);
            await b.AddAddressAsync($"{Overlay6B}/64", ct);
            return pair;
        }
        catch (Exception e)
        {
            var description = pair is null ? "" : await pair.DescribeAsync(CancellationToken.None);
            await a.DisposeAsync();
            await b.DisposeAsync();
            await network.DisposeAsync();
            throw new InvalidOperationException($"setting up {kindA} <-> {kindB} failed: {e.Message}\n{description}", e);
        }
    }

    public async Task<string> DescribeAsync(CancellationToken ct)
    {
        var text = new StringBuilder();
        text.AppendLine(await A.DescribeAsync(ct));
        text.AppendLine(await B.DescribeAsync(ct));
        return text.ToString();
    }

    /// <summary>Fails the test with the message plus both daemons' state and logs.</summary>
    public async Task AssertAsync(bool condition, string message)
    {
        if (!condition)
        {
            Assert.Fail($"{message}\n{await DescribeAsync(CancellationToken.None)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Network.DisposeAsync();
    }
}
