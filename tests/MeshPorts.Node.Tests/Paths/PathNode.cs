using MeshPorts.Node.Paths;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshPorts.Node.Tests.Paths;

/// <summary>One node of a path test: its key, its socket address on the fake network, and its path manager with fakes.</summary>
internal sealed class PathNode : IDisposable
{
    /// <param name="address">The node's first socket address.</param>
    /// <param name="otherAddresses">More addresses of the same socket (another family): a reply leaves from the one of the destination's family.</param>
    public PathNode(FakeNetwork network, string nodeId, string address, int latencyMs = 5, PathManagerOptions? options = null, params string[] otherAddresses)
    {
        NodeId = nodeId;
        PrivateKey = WgKey.GeneratePrivate();
        PublicKey = PrivateKey.PublicFromPrivate();
        Address = PathTestData.Ep(address);
        Addresses = [Address, .. otherAddresses.Select(PathTestData.Ep)];
        Manager = new PathManager(PrivateKey, Control, network.SenderFor(Addresses), CallMe, Relay, network.Time, NullLogger.Instance, options);
        foreach (var a in Addresses)
        {
            network.Attach(a, Manager, TimeSpan.FromMilliseconds(latencyMs));
        }
    }

    public IReadOnlyList<PeerEndpoint> Addresses { get; }

    public string NodeId { get; }

    public WgKey PrivateKey { get; }

    public WgKey PublicKey { get; }

    public PeerEndpoint Address { get; }

    public FakePathControl Control { get; } = new();

    public FakeRelayLink Relay { get; } = new();

    public FakeCallMeSender CallMe { get; } = new();

    public PathManager Manager { get; }

    /// <summary>This node as another node's netmap describes it.</summary>
    public PathPeer AsPeer(string? homeRelay = "coordinator", params PeerEndpoint[] extraCandidates) =>
        new(NodeId, PublicKey, null, [Address, .. extraCandidates], homeRelay);

    public void Dispose() => Manager.Dispose();
}

internal static class PathTestData
{
    public static readonly DateTimeOffset Start = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    public static PeerEndpoint Ep(string text) =>
        PeerEndpoint.TryParse(text, out var endpoint) ? endpoint : throw new ArgumentException(text);

    /// <summary>A ping from <paramref name="senderPrivate"/> to the holder of <paramref name="receiverPublic"/>, sealed by hand.</summary>
    public static byte[] Ping(WgKey senderPrivate, WgKey receiverPublic, TimeProvider time)
    {
        var key = new byte[ProbeCodec.KeySize];
        Assert.True(ProbeCodec.TryDeriveKey(senderPrivate, receiverPublic, key));
        var packet = new byte[ProbeCodec.PacketSize];
        var message = new ProbeMessage(ProbeKind.Ping, ProbeTxId.NewRandom(), time.GetUtcNow().ToUnixTimeMilliseconds(), default);
        ProbeCodec.Seal(message, senderPrivate.PublicFromPrivate(), key, packet);
        return packet;
    }
}
