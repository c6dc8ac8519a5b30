using ProtoProtocol = MeshPorts.Contracts.Node.Protocol;

namespace MeshPorts.Contracts.Grammar;

/// <summary>Spelling of <see cref="PortProtocol"/> in text ("tcp", "udp") and on the wire.</summary>
public static class PortProtocols
{
    public const string Rule = "tcp or udp";

    public static string ToText(this PortProtocol protocol) => protocol == PortProtocol.Udp ? "udp" : "tcp";

    /// <summary>Reads "tcp" or "udp", in any case, around any whitespace.</summary>
    public static bool TryParse(string? text, out PortProtocol protocol)
    {
        var span = (text ?? "").AsSpan().Trim();
        if (span.Equals("tcp", StringComparison.OrdinalIgnoreCase))
        {
            protocol = PortProtocol.Tcp;
            return true;
        }

        protocol = PortProtocol.Udp;
        return span.Equals("udp", StringComparison.OrdinalIgnoreCase);
    }

    public static ProtoProtocol ToProto(this PortProtocol protocol) =>
        protocol == PortProtocol.Udp ? ProtoProtocol.Udp : ProtoProtocol.Tcp;

    /// <summary>Reads the wire enum; <c>PROTOCOL_UNSPECIFIED</c> and unknown numbers are not a protocol.</summary>
    public static bool TryFromProto(ProtoProtocol value, out PortProtocol protocol)
    {
        protocol = value == ProtoProtocol.Udp ? PortProtocol.Udp : PortProtocol.Tcp;
        return value is ProtoProtocol.Tcp or ProtoProtocol.Udp;
    }
}
