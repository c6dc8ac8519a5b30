using System.Globalization;
using MeshPorts.Ctl.Cli;

namespace MeshPorts.Ctl.Parsing;

/// <summary>PRODUCT.md's <c>TARGET:PORT/PROTO</c>, e.g. <c>db1:5432/tcp</c> or <c>tag:db:5432/tcp</c>.</summary>
internal readonly record struct PortTarget(Subject Target, int Port, PortProtocol Protocol)
{
    public string ProtocolName => Protocol == PortProtocol.Udp ? "udp" : "tcp";

    public override string ToString() => $"{Target}:{Port.ToString(CultureInfo.InvariantCulture)}/{ProtocolName}";

    public static PortTarget Parse(string option, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        const string Shape = "write TARGET:PORT/PROTO, e.g. db1:5432/tcp or tag:db:5432/tcp";

        // The target itself may contain a colon (tag:db), so the port is after the last one.
        var colon = text.LastIndexOf(':');
        if (colon <= 0)
        {
            throw new UsageException($"{option} '{text}' has no port; {Shape}");
        }

        var portProto = text[(colon + 1)..];
        var slash = portProto.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            throw new UsageException($"{option} '{text}' has no protocol; add /tcp or /udp, e.g. {text}/tcp");
        }

        var portText = portProto[..slash];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new UsageException($"{option} '{text}': port '{portText}' must be a number from 1 to 65535; {Shape}");
        }

        var protocol = portProto[(slash + 1)..].ToUpperInvariant() switch
        {
            "TCP" => PortProtocol.Tcp,
            "UDP" => PortProtocol.Udp,
            _ => throw new UsageException($"{option} '{text}': protocol '{portProto[(slash + 1)..]}' must be tcp or udp"),
        };

        return new PortTarget(Subject.ParseTarget(option, text[..colon]), port, protocol);
    }
}
