using System.Globalization;

namespace MeshPorts.Coordinator.Audit.Shipping;

/// <summary>Where --audit-syslog sends: a unix datagram socket (/dev/log) or a UDP address.</summary>
internal sealed record SyslogTarget(string? UnixPath, string? Host, int Port)
{
    public const string DevLog = "/dev/log";

    public override string ToString() => UnixPath is not null ? "unix:" + UnixPath : FormattableString.Invariant($"udp:{Host}:{Port}");

    /// <summary>on, off (null), unix:PATH or udp:HOST:PORT; false with a problem that names the fix.</summary>
    public static bool TryParse(string text, out SyslogTarget? target, out string problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        const string Expected = "expected on, off, unix:/dev/log or udp:HOST:PORT (e.g. udp:127.0.0.1:514); TCP syslog is not supported";
        target = null;
        problem = "";
        if (text == "off")
        {
            return true;
        }

        if (text == "on")
        {
            target = new SyslogTarget(DevLog, null, 0);
            return true;
        }

        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            var path = text["unix:".Length..];
            if (!Path.IsPathRooted(path))
            {
                problem = "the unix socket path must be absolute, e.g. unix:/dev/log";
                return false;
            }

            target = new SyslogTarget(path, null, 0);
            return true;
        }

        if (text.StartsWith("udp:", StringComparison.Ordinal))
        {
            var hostPort = text["udp:".Length..];
            var colon = hostPort.LastIndexOf(':');
            var host = colon > 0 ? hostPort[..colon].Trim('[', ']') : "";
            if (host.Length == 0 || !int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                problem = "expected udp:HOST:PORT with a port 1-65535, e.g. udp:127.0.0.1:514 or udp:[::1]:514";
                return false;
            }

            if (!IsLoopback(host))
            {
                problem = $"{host} is not this host: syslog over UDP is plaintext and unauthenticated, so the audit log would cross the network in the clear; send to a local relay (udp:127.0.0.1:514 or unix:/dev/log) that forwards over TLS (rsyslog omfwd with StreamDriver gtls, or syslog-ng tls)";
                return false;
            }

            target = new SyslogTarget(null, host, port);
            return true;
        }

        problem = Expected;
        return false;
    }

    /// <summary>localhost or a loopback literal: where a plaintext hop never leaves the host.</summary>
    internal static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address));
}
