using System.Net;
using MeshPorts.Contracts.Cli;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Contracts.Transport;
using MeshPorts.Coordinator.Audit.Shipping;
using MeshPorts.Coordinator.Options;

namespace MeshPorts.Coordinator.Cli;

/// <summary>Parses the coordinator's command line into <see cref="CoordinatorOptions"/>.</summary>
internal static class CommandLine
{
    public const string Usage = """
        usage: meshports-coordinator [--data DIR] [--listen 0.0.0.0:7443] [--public-url https://HOST:7443[,...]]
                                     [--store sqlite:PATH|postgres:CONNSTRING] [--key-lifetime 1h]
                                     [--max-grant 24h] [--max-token-ttl 7d] [--relay on|off]
                                     [--dns-suffix mesh]
                                     [--audit-journald on|off] [--audit-syslog on|off|unix:PATH|udp:HOST:PORT]
                                     [--audit-otlp URL [--audit-otlp-headers FILE]]
               meshports-coordinator migrate --from sqlite:PATH --to postgres:CONNSTRING

          --data DIR          state, TLS key and meshctl.conf (default /var/lib/meshports-coordinator)
          --listen ADDR:PORT  TLS listener (default 0.0.0.0:7443)
          --public-url URL[,URL...]
                              URL nodes and meshctl reach (default https://HOSTNAME:PORT); with replicas, every
                              replica's URL, comma-separated, primary first: join strings and meshctl.conf carry
                              the list and clients fail over along it; every host is in the cert
          --store sqlite:PATH|postgres:CONNSTRING
                              database (default sqlite:DIR/coordinator.db); postgres: takes an Npgsql
                              connection string, e.g. postgres:Host=/run/postgresql;Database=meshports;
                              Username=meshports, and is what replicas share
          --key-lifetime DUR  node WireGuard key lifetime (default 1h)
          --max-grant DUR     cap on grant durations (default 24h)
          --max-token-ttl DUR cap on join token --ttl (default 7d)
          --relay on|off      the relay embedded here, gRPC on the TLS port and UDP frames on its UDP
                              port (default on); STUN is answered either way
          --dns-suffix NAME   the DNS suffix nodes answer their peers' names under, NAME.mesh by
                              default (letters, digits and '-', dot-separated labels)
          --audit-journald on|off
                              also send each committed audit event to journald as structured fields
                              (MESHPORTS_AUDIT_*), through /run/systemd/journal/socket (default off)
          --audit-syslog on|off|unix:PATH|udp:HOST:PORT
                              also send each event as RFC 5424 syslog with STRUCTURED-DATA
                              [meshports@32473 ...]; on = unix:/dev/log; udp only to loopback (default off)
          --audit-otlp URL    also export each event as an OpenTelemetry log over OTLP/HTTP (protobuf) to
                              URL: https://, or http:// to loopback (/v1/logs is added to a bare host)
          --audit-otlp-headers FILE
                              headers sent with every OTLP export, one "Name: value" a line (an API key);
                              the file must be mode 0600 and its values are never logged
          --version           print the version

        migrate copies a SQLite database into an empty PostgreSQL one in one transaction and verifies the
        audit chain there; then start the coordinator on the same --data with --store postgres:CONNSTRING.

        Environment: LOG_LEVEL=verbose|debug|info|warn|error|silent (default info; stack traces at debug).
        """;

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal) { "--data", "--listen", "--public-url", "--store", "--key-lifetime", "--max-grant", "--max-token-ttl", "--relay", "--dns-suffix",
        "--audit-journald", "--audit-syslog", "--audit-otlp", "--audit-otlp-headers",
    };

    /// <summary>Returns null when --help was asked for.</summary>
    public static CoordinatorOptions? Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new CoordinatorOptions();
        if (LongOptions.Read(args, Known) is not { } pairs)
        {
            return null;
        }

        foreach (var (name, value) in pairs)
        {
            switch (name)
            {
                case "--data":
                    options.DataDir = value;
                    break;
                case "--listen":
                    options.Listen = IPEndPoint.TryParse(value, out var ep) && value.Contains(':', StringComparison.Ordinal)
                        ? ep
                        : throw new UsageException($"--listen {value}: expected ADDRESS:PORT, e.g. 0.0.0.0:7443 or [::]:7443");
                    break;
                case "--public-url":
                    options.PublicUrls = CoordinatorUrls.TryParseList(value, out var urls, out var urlProblem)
                        ? urls
                        : throw new UsageException($"--public-url {urlProblem}");
                    break;
                case "--store":
                    options.Store = value;
                    break;
                case "--key-lifetime":
                    options.KeyLifetime = ParseDuration(name, value);
                    break;
                case "--max-grant":
                    options.MaxGrantDuration = ParseDuration(name, value);
                    break;
                case "--max-token-ttl":
                    options.MaxTokenTtl = ParseDuration(name, value);
                    break;
                case "--relay":
                    options.RelayEnabled = value switch
                    {
                        "on" => true,
                        "off" => false,
                        _ => throw new UsageException($"--relay {value}: expected on or off (--relay off runs no relay here; nodes then need a standalone meshports-relay)"),
                    };
                    break;
                case "--dns-suffix":
                    options.DnsSuffix = DnsSuffixes.TryNormalize(value, out var suffix, out var suffixProblem)
                        ? suffix
                        : throw new UsageException($"--dns-suffix {suffixProblem}");
                    break;
                case "--audit-journald":
                    options.AuditJournald = value switch
                    {
                        "on" => true,
                        "off" => false,
                        _ => throw new UsageException($"--audit-journald {value}: expected on or off"),
                    };
                    break;
                case "--audit-syslog":
                    options.AuditSyslog = SyslogTarget.TryParse(value, out var target, out var syslogProblem)
                        ? target
                        : throw new UsageException($"--audit-syslog {value}: {syslogProblem}");
                    break;
                case "--audit-otlp":
                    options.AuditOtlp = OtlpSink.TryParseEndpoint(value, out var endpoint, out var otlpProblem)
                        ? endpoint
                        : throw new UsageException($"--audit-otlp {value}: {otlpProblem}");
                    break;
                case "--audit-otlp-headers":
                    options.AuditOtlpHeadersFile = value;
                    break;
                default:
                    throw new UsageException($"unknown option '{name}'; see --help");
            }
        }

        var problem = options.Validate();
        return problem is null ? options : throw new UsageException(problem);
    }

    private static TimeSpan ParseDuration(string name, string value) =>
        DurationText.TryParse(value, out var d) && d > TimeSpan.Zero
            ? d
            : throw new UsageException($"{name} {value}: expected a duration like 90s, 10m, 1h");
}
