using System.Net;
using System.Net.Sockets;

namespace MeshPorts.Node.Metrics;

/// <summary>The value of <c>up --metrics-listen</c>: an IP literal and a port, never a name (nothing to resolve at start).</summary>
internal static class MetricsListenAddress
{
    public const string Example = "--metrics-listen 127.0.0.1:9586 or [::1]:9586";

    public static bool TryParse(string? text, out IPEndPoint endpoint, out string error)
    {
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        error = "";
        if (string.IsNullOrWhiteSpace(text) || !IPEndPoint.TryParse(text, out var parsed) || parsed.Port == 0
            || (parsed.AddressFamily == AddressFamily.InterNetworkV6 && !text.StartsWith('[')))
        {
            error = $"--metrics-listen '{text}' is not IP:PORT; write e.g. {Example} (an address of this host and a port 1-65535)";
            return false;
        }

        if (parsed.Address.IsIPv4MappedToIPv6 || parsed.Address.Equals(IPAddress.Broadcast))
        {
            error = $"--metrics-listen '{text}' is not an address to listen on; write e.g. {Example}";
            return false;
        }

        endpoint = parsed;
        return true;
    }
}
