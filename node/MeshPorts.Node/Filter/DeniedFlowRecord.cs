using System.Net;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Filter;

/// <summary>
/// One aggregated denial for the coordinator's DeniedFlow report. The addresses are those of the most
/// recent denial in the group; <see cref="IpProtocol"/> is the IANA number (6 tcp, 17 udp, 1/58 icmp).
/// </summary>
internal sealed record DeniedFlowRecord(
    WgKey Peer,
    byte IpProtocol,
    ushort Port,
    IPAddress Source,
    IPAddress Destination,
    long Count,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen);
