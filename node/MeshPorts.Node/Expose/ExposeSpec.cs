using System.Diagnostics.CodeAnalysis;
using MeshPorts.Contracts.Grammar;

namespace MeshPorts.Node.Expose;

/// <summary>
/// One <c>--expose PORT/PROTO[=SERVICE]</c>: the local port that becomes reachable on the overlay
/// at the same number (grants are written in ports, so 5432 must stay 5432), and an optional
/// service name for status output.
/// </summary>
internal sealed record ExposeSpec
{
    private const int MaxServiceLength = 63;

    public ExposeSpec(ushort port, PortProtocol protocol, string? service = null)
    {
        if (port == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "Port 0 cannot be exposed; use 1-65535.");
        }

        if (service is not null && ServiceNameError(service) is { } error)
        {
            throw new ArgumentException(error, nameof(service));
        }

        Port = port;
        Protocol = protocol;
        Service = service;
    }

    public ushort Port { get; }

    public PortProtocol Protocol { get; }

    /// <summary>A label for status output, or null when none was given.</summary>
    public string? Service { get; }

    /// <summary>"tcp" or "udp", as written on the command line and in grants.</summary>
    public string ProtocolName => Protocol.ToText();

    /// <summary>Parses <paramref name="text"/>; the exception message says how to write it instead.</summary>
    /// <exception cref="FormatException">The text is not PORT/PROTO[=SERVICE].</exception>
    public static ExposeSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var spec, out var error) ? spec : throw new FormatException(error);
    }

    public static bool TryParse(string text, [NotNullWhen(true)] out ExposeSpec? spec, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        spec = null;
        var shown = text.Length > 80 ? string.Concat(text.AsSpan(0, 80), "...") : text;

        var rest = text.AsSpan();
        string? service = null;
        var equals = rest.IndexOf('=');
        if (equals >= 0)
        {
            service = rest[(equals + 1)..].ToString();
            rest = rest[..equals];
            if (ServiceNameError(service) is { } serviceError)
            {
                error = $"--expose '{shown}': {serviceError}";
                return false;
            }
        }

        var slash = rest.IndexOf('/');
        if (slash < 0)
        {
            var example = !rest.IsEmpty && !rest.ContainsAnyExceptInRange('0', '9') && rest.Length <= 5 ? rest.ToString() : "5432";
            error = $"--expose '{shown}': write PORT/PROTO, e.g. '{example}/tcp' or '{example}/udp'.";
            return false;
        }

        var portText = rest[..slash];
        if (portText.Length > 5 || !Ports.TryParse(portText, out var port))
        {
            error = $"--expose '{shown}': the port must be {Ports.Rule}, e.g. '5432/tcp'.";
            return false;
        }

        if (!PortProtocols.TryParse(rest[(slash + 1)..].ToString(), out var protocol) || rest[(slash + 1)..].ContainsAny(' ', '\t'))
        {
            error = $"--expose '{shown}': the protocol must be 'tcp' or 'udp', e.g. '{port}/tcp'.";
            return false;
        }

        spec = new ExposeSpec((ushort)port, protocol, service);
        error = null;
        return true;
    }

    public override string ToString() => Service is null ? $"{Port}/{ProtocolName}" : $"{Port}/{ProtocolName}={Service}";

    private static string? ServiceNameError(string service)
    {
        if (service.Length is 0 or > MaxServiceLength)
        {
            return $"the service name after '=' must be 1-{MaxServiceLength} characters of a-z, 0-9 and '-', e.g. '5432/tcp=postgres'.";
        }

        foreach (var c in service)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return $"the service name '{service}' may only use lowercase a-z, 0-9 and '-', e.g. '5432/tcp=postgres'.";
            }
        }

        return null;
    }
}
