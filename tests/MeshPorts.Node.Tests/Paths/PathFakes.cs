using System.Collections.Concurrent;
using MeshPorts.Node.Paths;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Tests.Paths;

/// <summary>The device's side of path control: records what the path manager told it.</summary>
internal sealed class FakePathControl : IPeerPathControl
{
    public Dictionary<string, string> Current { get; } = [];

    public List<string> Calls { get; } = [];

    public HashSet<string> Absent { get; } = [];

    public bool UseDirect(string peerNodeId, in PeerEndpoint endpoint)
    {
        Calls.Add($"{peerNodeId} direct {endpoint}");
        if (Absent.Contains(peerNodeId))
        {
            return false;
        }

        Current[peerNodeId] = endpoint.ToString();
        return true;
    }

    public bool UseRelay(string peerNodeId)
    {
        Calls.Add($"{peerNodeId} relay");
        if (Absent.Contains(peerNodeId))
        {
            return false;
        }

        Current[peerNodeId] = "relay";
        return true;
    }

    public string? PathOf(string peerNodeId) => Current.GetValueOrDefault(peerNodeId);
}

internal sealed class FakeRelayLink : IRelayLink
{
    public RelayTransport Transport { get; set; } = RelayTransport.Udp;

    public bool Send(string peerNodeId, ReadOnlySpan<byte> datagram) => Transport != RelayTransport.None;

    public RelayTransport TransportFor(string peerNodeId) => Transport;

    public (string RelayId, string Endpoint)? RouteFor(string peerNodeId) =>
        Transport == RelayTransport.None ? null : ("coordinator", "203.0.113.1:443");

    public bool TryHandleUdpFrame(ReadOnlySpan<byte> frame, in PeerEndpoint source) => false;
}

internal sealed class FakeCallMeSender : ICallMeSender
{
    public ConcurrentQueue<string> Requests { get; } = new();

    public void RequestCallMe(string peerNodeId) => Requests.Enqueue(peerNodeId);
}
