using System.Globalization;

namespace MeshPorts.Contracts.Grammar;

/// <summary>
/// <c>TARGET:PORT/PROTO</c>, e.g. <c>db1:5432/tcp</c> or <c>tag:db:5432/tcp</c>: where a rule, grant or access
/// check points. The target may itself hold a colon (<c>tag:db</c>), so the port is after the last one.
/// </summary>
public readonly record struct PortTarget(Subject Target, int Port, PortProtocol Protocol)
{
    /// <summary>The shape and an example, for error messages.</summary>
    public const string Shape = "write TARGET:PORT/PROTO, e.g. db1:5432/tcp or tag:db:5432/tcp";

    public override string ToString() =>
        $"{Target}:{Port.ToString(CultureInfo.InvariantCulture)}/{Protocol.ToText()}";

    /// <summary>Parses a port target; <paramref name="error"/> says what to fix, starting lower-case.</summary>
    public static bool TryParse(string? text, out PortTarget target, out string error)
    {
        target = default;
        var whole = (text ?? "").Trim();
        var colon = whole.LastIndexOf(':');
        if (colon <= 0)
        {
            error = $"no port; {Shape}";
            return false;
        }

        var portProto = whole.AsSpan(colon + 1);
        var slash = portProto.IndexOf('/');
        if (slash < 0)
        {
            error = $"no protocol; add /tcp or /udp, e.g. {whole}/tcp";
            return false;
        }

        if (!Ports.TryParse(portProto[..slash], out var port))
        {
            error = $"port '{portProto[..slash]}' must be {Ports.Rule}; {Shape}";
            return false;
        }

        if (!PortProtocols.TryParse(portProto[(slash + 1)..].ToString(), out var protocol))
        {
            error = $"protocol '{portProto[(slash + 1)..]}' must be {PortProtocols.Rule}";
            return false;
        }

        if (!Subject.TryParseTarget(whole[..colon], out var subject, out error))
        {
            return false;
        }

        target = new PortTarget(subject, port, protocol);
        return true;
    }
}
