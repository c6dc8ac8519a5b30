using System.Net;

namespace MeshPorts.RelayHost.Cli;

/// <summary>What <c>meshports-relay</c> was asked to do (see <see cref="RelayCommandLine"/>).</summary>
internal sealed class RelayOptions
{
    public const string DefaultDataDir = "/var/lib/meshports-relay";

    /// <summary>The join string; needed only on the first start (DATA/relay.json holds the rest).</summary>
    public string? Join { get; set; }

    public string DataDir { get; set; } = DefaultDataDir;

    /// <summary>TLS (gRPC Relay.Connect) on TCP and STUN plus relay frames on UDP, the same port.</summary>
    public IPEndPoint Listen { get; set; } = new(IPAddress.Any, 443);

    /// <summary>Where nodes connect; null: https://(the address the coordinator sees the relay at):(listen port).</summary>
    public Uri? PublicUrl { get; set; }

    /// <summary>HOST:PORT nodes send UDP to; null: the public URL's host and the listen port.</summary>
    public string? UdpEndpoint { get; set; }
}
