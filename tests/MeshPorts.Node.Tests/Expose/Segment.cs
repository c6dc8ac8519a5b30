using System.Net;

namespace MeshPorts.Node.Tests.Expose;

/// <summary>A TCP segment or UDP datagram read back from the TUN (UDP leaves Seq, Ack and Flags zero).</summary>
internal readonly record struct Segment(
    IPAddress Source,
    ushort SourcePort,
    IPAddress Destination,
    ushort DestinationPort,
    uint Seq,
    uint Ack,
    byte Flags,
    byte[] Payload)
{
    public bool Has(byte flag) => (Flags & flag) != 0;
}
