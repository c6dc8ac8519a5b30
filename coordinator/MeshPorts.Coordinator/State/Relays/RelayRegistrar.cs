using System.Globalization;
using System.Net;
using Google.Protobuf;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Transport;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Relays;

/// <summary>
/// Takes a standalone relay's RegisterRelay: only a node whose join token carried the tag
/// <see cref="RelayTag"/> (an admin's decision) may announce itself, under its own node name, with an
/// https URL and a pin. It is then listed to every node until it stops announcing.
/// </summary>
internal sealed class RelayRegistrar
{
    public const string RelayTag = "relay";

    /// <summary>The id the relay embedded in the coordinator has; no standalone relay may take it.</summary>
    public const string EmbeddedId = "coordinator";

    private readonly RelayDirectory _directory;
    private readonly ByteString _ticketPublicKey;

    public RelayRegistrar(RelayDirectory directory, ReadOnlySpan<byte> ticketPublicKey)
    {
        ArgumentNullException.ThrowIfNull(directory);
        _directory = directory;
        _ticketPublicKey = ByteString.CopyFrom(ticketPublicKey);
    }

    /// <param name="node">The authenticated caller.</param>
    /// <param name="source">The address the call came from, used when the relay gives no URL.</param>
    public RelayRegistrationResponse Register(NodeRecord node, RelayRegistration request, IPAddress? source)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(request);
        if (!node.Tags.Contains(RelayTag, StringComparer.Ordinal))
        {
            throw new StateException(StateError.PermissionDenied,
                $"node {node.Name} is not a relay: its join token had no tag {RelayTag}; create the relay's token with --tag {RelayTag}");
        }

        if (node.Name == EmbeddedId)
        {
            throw new StateException(StateError.InvalidArgument, $"a standalone relay may not be named {EmbeddedId} (the embedded relay's id); enroll it under another name");
        }

        if (request.ListenPort is 0 or > 65535)
        {
            throw new StateException(StateError.InvalidArgument, $"listen_port {request.ListenPort} must be 1-65535");
        }

        if (!CertificatePin.TryParse(request.Pin, out _))
        {
            throw new StateException(StateError.InvalidArgument, "pin must be sha256:<64 lowercase hex>, the relay certificate's pin");
        }

        var url = UrlOf(request, source);
        var udp = string.IsNullOrEmpty(request.UdpEndpoint)
            ? string.Create(CultureInfo.InvariantCulture, $"{url.Host}:{request.ListenPort}")
            : request.UdpEndpoint;
        if (!IsHostPort(udp))
        {
            throw new StateException(StateError.InvalidArgument, $"udp_endpoint '{udp}' must be HOST:PORT");
        }

        var relay = new RelayServer { Id = node.Name, Url = url.GetLeftPart(UriPartial.Authority), Pin = request.Pin, UdpEndpoint = udp };
        if (!_directory.Register(relay))
        {
            throw new StateException(StateError.ResourceExhausted, $"{RelayDirectory.Capacity} relays are registered already; remove relays that are gone");
        }

        return new RelayRegistrationResponse
        {
            RelayId = node.Name,
            TicketPublicKey = _ticketPublicKey,
            ReregisterAfterSeconds = (long)RelayDirectory.ReregisterInterval.TotalSeconds,
        };
    }

    private static Uri UrlOf(RelayRegistration request, IPAddress? source)
    {
        if (string.IsNullOrEmpty(request.Url))
        {
            if (source is null)
            {
                throw new StateException(StateError.InvalidArgument, "url is empty and the call's source address is unknown; give the relay --public-url");
            }

            var address = source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source;
            return new Uri(new IPEndPoint(address, (int)request.ListenPort).ToString().Insert(0, "https://"));
        }

        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps || url.AbsolutePath != "/"
            || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.UserInfo))
        {
            throw new StateException(StateError.InvalidArgument, $"url '{request.Url}' must be https://HOST:PORT");
        }

        return url;
    }

    private static bool IsHostPort(string text)
    {
        var colon = text.LastIndexOf(':');
        return colon > 0 && colon < text.Length - 1
            && ushort.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port != 0
            && Uri.CheckHostName(text[..colon].Trim('[', ']')) != UriHostNameType.Unknown;
    }
}
