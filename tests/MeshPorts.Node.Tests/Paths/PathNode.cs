using MeshPorts.Node.Paths;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshPorts.Node.Tests.Paths;

/// <summary>One node of a path test: its key, its socket address on the fake network, and its path manager with fakes.</summary>
internal sealed class PathNode : IDisposable
{
    public PathNode(FakeNetwork network, string nodeId, string address, int latencyMs = 5, PathManagerOptions? options = null)
    {
        NodeId = nodeId;
        PrivateKey = WgKey.GeneratePrivate();
        PublicKey = PrivateKey.PublicFromPrivate();
        Address = PathTestData.Ep(address);
        Manager = new PathManager(PrivateKey, Control, network.SenderFor(Address), CallMe, Relay, network.Time, NullLogger.Instance, options);
        network.Attach(Address, Manager, TimeSpan.FromMilliseconds(latencyMs));
    }

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
}
