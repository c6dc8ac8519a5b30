using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Transport;

namespace MeshPorts.Node.Relay;

/// <summary>One relay of the ticket answer (node.proto RelayServer), its fields checked.</summary>
/// <param name="UdpEndpoint">"HOST:PORT" for UDP relay frames, or null: TLS only.</param>
internal sealed record RelayEntry(string Id, Uri Url, CertificatePin Pin, string? UdpEndpoint)
{
    private const int MaxIdLength = 32;

    /// <summary>False, with the reason, for an entry the node must not use (no https, no pin, a bad id).</summary>
    public static bool TryParse(RelayServer server, out RelayEntry? entry, out string reason)
    {
        ArgumentNullException.ThrowIfNull(server);
        entry = null;
        if (!IsValidId(server.Id))
        {
            reason = "its id is not [a-z0-9-]{1,32}";
            return false;
        }

        if (!Uri.TryCreate(server.Url, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
        {
            reason = "its URL is not https://HOST:PORT";
            return false;
        }

        if (!CertificatePin.TryParse(server.Pin, out var pin))
        {
            reason = "its pin is not sha256:<64 hex>";
            return false;
        }

        reason = string.Empty;
        entry = new RelayEntry(server.Id, url, pin, string.IsNullOrWhiteSpace(server.UdpEndpoint) ? null : server.UdpEndpoint.Trim());
        return true;
    }

    private static bool IsValidId(string id)
    {
        if (id.Length is 0 or > MaxIdLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
