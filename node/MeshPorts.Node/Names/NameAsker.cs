using System.Net;

namespace MeshPorts.Node.Names;

/// <summary>
/// Who sent a query, as far as the name server can tell from where it arrived: the node's own host (over
/// loopback) sees the whole zone and gets other names forwarded; a peer (over the overlay interface, so
/// the filter and the device's source check already passed) sees only what it may see anyway.
/// </summary>
internal readonly record struct NameAsker(bool IsLocalHost, IPAddress Source)
{
    public static NameAsker Local(IPAddress source) => new(true, source);

    public static NameAsker Peer(IPAddress source) => new(false, source);
}
