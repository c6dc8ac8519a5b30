using System.Net;

namespace MeshPorts.Coordinator.State.Access;

/// <summary>
/// What a reported denied flow must look like to be believed, matching what the node's filter sends
/// (node/MeshPorts.Node/Daemon/MeshAgent.Reports.cs): canonical addresses, a destination that is the
/// reporter's own overlay address of the source's family (one packet has one), a 16-bit port, tcp/udp/other, and at least one packet.
/// </summary>
internal static class DeniedFlowCheck
{
    /// <summary>Protocol of a flow the node reported as unspecified: ICMP and anything else not tcp/udp.</summary>
    public const string OtherProtocol = "other";

    // Ten seconds (the node's report interval) at 10 Mpps: more than one peer's tunnel delivers.
    public const long MaxPacketsPerFlow = 100_000_000;

    public static bool IsValid(DeniedFlowInput flow, IReadOnlyList<IPAddress> ownAddresses, out IPAddress source, out long count)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ownAddresses);
        count = Math.Min(flow.Count, MaxPacketsPerFlow);
        return TryParseCanonical(flow.SourceAddress, out source)
            && TryParseCanonical(flow.DestinationAddress, out var destination)
            && source.AddressFamily == destination.AddressFamily
            && ownAddresses.Contains(destination)
            && flow.Port is >= 0 and <= ushort.MaxValue
            && flow.Protocol is "tcp" or "udp" or OtherProtocol
            && flow.Count >= 1;
    }

    // The node writes IPAddress.ToString(); any other spelling ("100.064.0.1", "::ffff:...", "1") is not from it.
    private static bool TryParseCanonical(string text, out IPAddress address)
    {
        if (text.Length is > 0 and <= 64 && IPAddress.TryParse(text, out var parsed) && parsed.ToString() == text)
        {
            address = parsed;
            return true;
        }

        address = IPAddress.None;
        return false;
    }
}
