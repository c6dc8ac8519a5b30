using System.Text.RegularExpressions;
using MeshPorts.Contracts.Transport;

namespace MeshPorts.Coordinator.Options;

/// <summary>
/// A standalone relay nodes may use (--add-relay ID,https://HOST:PORT,sha256:PIN[,HOST:UDPPORT]): it is
/// listed to nodes with the embedded one, and nodes pick the nearest by measured round trip.
/// </summary>
internal sealed partial record RelayServerOption(string Id, Uri Url, string Pin, string UdpEndpoint)
{
    /// <summary>The id of the relay embedded in the coordinator.</summary>
    public const string EmbeddedId = "coordinator";

    public static bool TryParse(string text, out RelayServerOption relay, out string why)
    {
        relay = null!;
        var parts = (text ?? string.Empty).Split(',');
        if (parts.Length is not (3 or 4))
        {
            why = "expected ID,https://HOST:PORT,sha256:PIN[,HOST:UDPPORT], e.g. eu-1,https://relay-eu.example:7444,sha256:<64 hex>";
            return false;
        }

        if (!IdPattern().IsMatch(parts[0]))
        {
            why = $"the id '{parts[0]}' must be 1-32 of a-z, 0-9 and '-'";
            return false;
        }

        if (!Uri.TryCreate(parts[1], UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps || url.AbsolutePath != "/")
        {
            why = $"'{parts[1]}' must be https://HOST:PORT (relays speak TLS only)";
            return false;
        }

        if (!CertificatePin.TryParse(parts[2], out _))
        {
            why = $"'{parts[2]}' is not a pin: expected sha256:<64 lowercase hex>, as meshports-relay prints it";
            return false;
        }

        var udp = parts.Length == 4 ? parts[3] : FormattableString.Invariant($"{url.Host}:{url.Port}");
        var colon = udp.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(udp.AsSpan(colon + 1), out var port) || port == 0)
        {
            why = $"'{udp}' must be HOST:PORT for the relay's UDP socket";
            return false;
        }

        relay = new RelayServerOption(parts[0], url, parts[2], udp);
        why = string.Empty;
        return true;
    }

    [GeneratedRegex("^[a-z0-9-]{1,32}$")]
    private static partial Regex IdPattern();
}
