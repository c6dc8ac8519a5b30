using System.Net;
using MeshPorts.Contracts.Cli;

namespace MeshPorts.RelayHost.Cli;

/// <summary>Parses <c>meshports-relay</c>'s arguments; bad input is a <see cref="UsageException"/> that names the fix.</summary>
internal static class RelayCommandLine
{
    public const string Usage = """
        usage: meshports-relay [--join JOIN] [--listen 0.0.0.0:443] [--data DIR]
                               [--public-url https://HOST:PORT] [--udp-endpoint HOST:PORT]

          --join JOIN          a join string from 'meshctl token create --name NAME --tag relay';
                               needed on the first start only (DIR/relay.json keeps the membership)
          --listen ADDR:PORT   TLS (the relay's gRPC stream) on TCP, STUN and relay frames on UDP,
                               the same port (default 0.0.0.0:443)
          --data DIR           machine key, TLS key and relay.json, 0600 (default /var/lib/meshports-relay)
          --public-url URL     where nodes connect (default https://ADDRESS:PORT, ADDRESS as the
                               coordinator sees this relay)
          --udp-endpoint H:P   where nodes send UDP (default the public URL's host and the listen port)
          --version            print the version

        The relay forwards WireGuard ciphertext only between nodes whose coordinator-signed tickets name
        each other, with per-node rate limits; it keeps no database. Environment: LOG_LEVEL=verbose|debug|
        info|warn|error|silent (default info).
        """;

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal) { "--join", "--listen", "--data", "--public-url", "--udp-endpoint" };

    /// <summary>The options, or null for --help.</summary>
    public static RelayOptions? Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new RelayOptions();
        if (LongOptions.Read(args, Known) is not { } pairs)
        {
            return null;
        }

        foreach (var (name, value) in pairs)
        {
            switch (name)
            {
                case "--join":
                    options.Join = value;
                    break;
                case "--data":
                    options.DataDir = value.Length > 0 ? value : throw new UsageException("--data needs a directory, e.g. --data /var/lib/meshports-relay");
                    break;
                case "--listen":
                    options.Listen = IPEndPoint.TryParse(value, out var ep) && value.Contains(':', StringComparison.Ordinal) && ep.Port != 0
                        ? ep
                        : throw new UsageException($"--listen {value}: expected ADDRESS:PORT, e.g. 0.0.0.0:443 or [::]:443");
                    break;
                case "--public-url":
                    options.PublicUrl = Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps && url.AbsolutePath == "/"
                        ? url
                        : throw new UsageException($"--public-url {value}: expected https://HOST:PORT (the relay speaks TLS only)");
                    break;
                case "--udp-endpoint":
                    var colon = value.LastIndexOf(':');
                    options.UdpEndpoint = colon > 0 && ushort.TryParse(value.AsSpan(colon + 1), out var port) && port != 0
                        ? value
                        : throw new UsageException($"--udp-endpoint {value}: expected HOST:PORT, e.g. relay-eu.example.com:443");
                    break;
                default:
                    throw new UsageException($"unknown option '{name}'; see --help");
            }
        }

        return options;
    }
}
