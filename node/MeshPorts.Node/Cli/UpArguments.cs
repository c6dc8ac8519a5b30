using MeshPorts.Contracts.Cli;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Node.Daemon;
using MeshPorts.Node.Expose;
using MeshPorts.Node.Metrics;
using MeshPorts.Node.StateDirectory;

namespace MeshPorts.Node.Cli;

/// <summary>Parses the arguments of <c>up</c>, <c>status</c> and <c>down</c>; every error names the fix.</summary>
internal static class UpArguments
{
    public const string UpUsage = """
        Usage: meshports-node up --join JOIN [--name NAME] [--expose PORT/PROTO[=SERVICE]]...
                                 [--ifname mp0] [--state DIR] [--listen-port 51820] [--endpoint HOST:PORT]...
                                 [--stun HOST:PORT|off]... [--metrics-listen IP:PORT] [--no-dns]

          --join JOIN           the join string from `meshctl token create` (first start only; later
                                starts reuse the identity in --state). --join-file FILE reads it from a
                                file instead, which keeps it out of `ps`
          --name NAME           the token's name, repeated as a check (the name comes from the join
                                token; any other name is refused)
          --expose 5432/tcp     make local port 5432 (even one bound to 127.0.0.1) reachable at this
                                node's overlay address, to granted identities only; repeatable
          --ifname mp0          the interface to create
          --state DIR           identity and keys (default /var/lib/meshports/IFNAME; 0700, keys 0600)
          --listen-port 51820   the WireGuard UDP port
          --endpoint HOST:PORT  where peers reach this node (default: this host's addresses); repeatable
          --stun HOST:PORT      another STUN server (UDP) to learn this node's address behind a NAT
                                from; repeatable. The coordinator (its host and port) and relays
                                with a UDP endpoint are always asked; --stun off asks none and
                                reports only this host's addresses and --endpoint
          --rotation-wait 30s   how long a key rotation waits for peers to learn the new key
          --metrics-listen 127.0.0.1:9586
                                serve Prometheus metrics on http://IP:PORT/metrics (off by default;
                                keep it on loopback or a monitoring network: docs/node.md "Metrics")
          --no-dns              answer no DNS: by default the node answers NAME.mesh (the suffix is
                                the coordinator's --dns-suffix) with the overlay addresses of itself
                                and the peers it may reach, on its overlay address port 53, forwards
                                other names from this host to the resolvers in /etc/resolv.conf, and,
                                where systemd-resolved runs, routes ~mesh to itself on IFNAME
                                (undone on exit; docs/node.md "Names")
          --no-offload          no TSO/GRO on the TUN and no UDP GSO/GRO (slower; for kernels or
                                paths that misbehave with them)

        Stays in the foreground; SIGTERM or `meshports-node down` bring the interface down cleanly.
        """;

    public const string StatusUsage = """
        Usage: meshports-node status [--ifname mp0] [--json]

          --ifname mp0  the interface of the running `up` to ask, over its control socket
                        /var/run/meshports/IFNAME.sock (root only)
          --json        machine output (camelCase): name, overlayIp, publicKey, keyExpiresAt,
                        coordinator {url, connected, serial, lastContact}, exposed, peers [{name,
                        overlayIp, publicKey, endpoint, latestHandshake, validUntil, rxBytes,
                        txBytes}], filter and drops (packets refused, by reason: the filter's,
                        the device's, the WireGuard engine's, the relay client's relay* and the
                        probes' probe*, the name server's dnsMalformed)

        Without --json: the node, its key, the coordinator, what it exposes and each peer, one line each.
        Times are RFC 3339 UTC (2026-11-29T06:00:00Z).
        Exit codes: 0 success, 1 no running `up` on IFNAME (or a bad answer), 2 usage error.
        """;

    public const string DownUsage = """
        Usage: meshports-node down [--ifname mp0]

          --ifname mp0  the interface of the running `up` to bring down; waits (up to 15 s) until it is gone

        Exit codes: 0 success, 1 no running `up` on IFNAME or it did not go down, 2 usage error.
        """;

    public static UpOptions ParseUp(IReadOnlyList<string> args)
    {
        string? join = null, joinFile = null, name = null, state = null, ifname = null;
        ushort port = UpOptions.DefaultListenPort;
        var rotationWait = TimeSpan.FromSeconds(30);
        var offloads = true;
        var names = true;
        var expose = new List<ExposeSpec>();
        var endpoints = new List<string>();
        var stunServers = new List<string>();
        var stunOff = false;
        System.Net.IPEndPoint? metricsListen = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--join":
                    join = Value(args, ref i);
                    break;
                case "--join-file":
                    joinFile = Value(args, ref i);
                    break;
                case "--name":
                    name = Value(args, ref i);
                    break;
                case "--expose":
                    var text = Value(args, ref i);
                    if (!ExposeSpec.TryParse(text, out var spec, out var error))
                    {
                        throw new UsageException(error);
                    }

                    if (expose.Any(e => e.Port == spec.Port && e.Protocol == spec.Protocol))
                    {
                        throw new UsageException($"--expose {spec.Port}/{spec.ProtocolName} is given twice; expose each port/protocol once");
                    }

                    expose.Add(spec);
                    break;
                case "--ifname":
                    ifname = Value(args, ref i);
                    InterfaceNames.Validate(ifname);
                    break;
                case "--state":
                    state = Value(args, ref i);
                    break;
                case "--listen-port":
                    var portText = Value(args, ref i);
                    if (!ushort.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port == 0)
                    {
                        throw new UsageException($"--listen-port '{portText}' is not a port; give 1-65535, e.g. --listen-port 51820");
                    }

                    break;
                case "--endpoint":
                    var endpoint = Value(args, ref i);
                    if (!HostPort.IsValid(endpoint))
                    {
                        throw new UsageException($"--endpoint '{endpoint}' is not HOST:PORT; write e.g. --endpoint 192.0.2.10:51820 or [2001:db8::1]:51820");
                    }

                    endpoints.Add(endpoint);
                    break;
                case "--stun":
                    var stun = Value(args, ref i);
                    if (stun == "off")
                    {
                        stunOff = true;
                    }
                    else if (HostPort.IsValid(stun))
                    {
                        stunServers.Add(stun);
                    }
                    else
                    {
                        throw new UsageException($"--stun '{stun}' is not HOST:PORT; write e.g. --stun stun.example.net:3478 or [2001:db8::1]:3478, or --stun off");
                    }

                    break;
                case "--rotation-wait":
                    var wait = Value(args, ref i);
                    if (!DurationText.TryParse(wait, out rotationWait) || rotationWait <= TimeSpan.Zero || rotationWait > TimeSpan.FromMinutes(10))
                    {
                        throw new UsageException($"--rotation-wait '{wait}' is not a duration up to 10m; write e.g. 30s");
                    }

                    break;
                case "--metrics-listen":
                    if (!MetricsListenAddress.TryParse(Value(args, ref i), out var metricsEndpoint, out var metricsError))
                    {
                        throw new UsageException(metricsError);
                    }

                    metricsListen = metricsEndpoint;
                    break;
                case "--no-offload":
                    offloads = false;
                    break;
                case "--no-dns":
                    names = false;
                    break;
                case "-h" or "--help":
                    throw new HelpRequestedException(UpUsage);
                default:
                    throw new UsageException($"unknown option '{arg}' for up; run 'meshports-node up --help'");
            }
        }

        if (join is not null && joinFile is not null)
        {
            throw new UsageException("give --join or --join-file, not both");
        }

        if (stunOff && stunServers.Count > 0)
        {
            throw new UsageException("--stun off asks no STUN server; drop it, or drop the --stun HOST:PORT options");
        }

        if (joinFile is not null)
        {
            try
            {
                join = File.ReadAllText(joinFile).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot read --join-file {joinFile}: {ex.Message}");
            }
        }

        ifname ??= UpOptions.DefaultInterface;
        return new UpOptions
        {
            Join = string.IsNullOrWhiteSpace(join) ? null : join.Trim(),
            Name = name,
            Expose = expose,
            InterfaceName = ifname,
            StateDirectory = state ?? NodeStateStore.DefaultDirectory(ifname),
            ListenPort = port,
            Endpoints = endpoints,
            StunServers = stunServers,
            Stun = !stunOff,
            RotationWait = rotationWait,
            Offloads = offloads,
            MetricsListen = metricsListen,
            Names = names,
        };
    }

    /// <summary>Parses <c>status</c>/<c>down</c>: [--ifname mp0] and, for status, [--json].</summary>
    public static (string InterfaceName, bool Json) ParseLocal(string command, IReadOnlyList<string> args)
    {
        var ifname = UpOptions.DefaultInterface;
        var json = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--ifname":
                    ifname = Value(args, ref i);
                    InterfaceNames.Validate(ifname);
                    break;
                case "--json" when command == "status":
                    json = true;
                    break;
                case "-h" or "--help":
                    throw new HelpRequestedException(command == "status" ? StatusUsage : DownUsage);
                default:
                    throw new UsageException($"unknown option '{args[i]}' for {command}; run 'meshports-node {command} --help'");
            }
        }

        return (ifname, json);
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new UsageException($"{args[i]} needs a value; run 'meshports-node up --help'");
        }

        return args[++i];
    }
}
