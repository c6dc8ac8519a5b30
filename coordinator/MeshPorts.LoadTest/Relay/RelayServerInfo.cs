using System.Net;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Transport;

namespace MeshPorts.LoadTest.Relay;

/// <summary>The relay under load, as the ticket answer lists it (node.proto RelayServer): its URL, pin and UDP endpoint.</summary>
internal sealed record RelayServerInfo(string Id, Uri Url, CertificatePin Pin, IPEndPoint UdpEndPoint)
{
    /// <summary>The entry named <paramref name="id"/>; an error that names the listed ones when it is missing or unusable here.</summary>
    public static RelayServerInfo Pick(RelayTicketResponse ticket, string id)
    {
        var server = ticket.Relays.FirstOrDefault(r => r.Id == id)
            ?? throw new InvalidOperationException(
                $"relay '{id}' is not in the ticket's relay list ({string.Join(", ", ticket.Relays.Select(r => r.Id))}); start it, or pick one with --relay-id");
        if (!Uri.TryCreate(server.Url, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps || !CertificatePin.TryParse(server.Pin, out var pin))
        {
            throw new InvalidOperationException($"relay '{id}' is listed with URL '{server.Url}' and pin '{server.Pin}', not https://HOST:PORT and sha256:<hex>");
        }

        if (!IPEndPoint.TryParse(server.UdpEndpoint, out var udp) || udp.Port == 0 || !IPAddress.IsLoopback(udp.Address) || !url.IsLoopback)
        {
            throw new InvalidOperationException(
                $"relay '{id}' is at {server.Url}, UDP '{server.UdpEndpoint}': this tool only loads a relay on this machine; start it with --public-url https://127.0.0.1:PORT and --udp-endpoint 127.0.0.1:PORT");
        }

        return new RelayServerInfo(id, url, pin, udp);
    }
}
