using System.Net;
using MeshPorts.Contracts.Transport;
using MeshPorts.Coordinator.Audit.Shipping;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.Options;

/// <summary>
/// Everything the coordinator is configured with. Defaults follow PRODUCT.md; <see cref="Validate"/>
/// runs once at start so a bad value stops the process before it serves anything.
/// </summary>
internal sealed class CoordinatorOptions
{
    public const string DefaultDataDir = "/var/lib/meshports-coordinator";

    /// <summary>Holds tls/, meshctl.conf, admin.sha256, audit.jsonl and (by default) the SQLite file.</summary>
    public string DataDir { get; set; } = DefaultDataDir;

    /// <summary>Where Kestrel listens (TLS only). Port 0 picks an ephemeral port (tests).</summary>
    public IPEndPoint Listen { get; set; } = new(IPAddress.Any, 7443);

    /// <summary>
    /// Every replica's URL, as nodes and meshctl use them (--public-url a,b): join strings and meshctl.conf carry
    /// the list, the first is the primary, and every host goes into the certificate's SAN. Empty = derived.
    /// </summary>
    public IReadOnlyList<Uri> PublicUrls { get; set; } = [];

    /// <summary>The primary public URL, or null when none was given; setting it replaces the list with that one URL.</summary>
    public Uri? PublicUrl
    {
        get => PublicUrls.Count > 0 ? PublicUrls[0] : null;
        set => PublicUrls = value is null ? [] : [value];
    }

    /// <summary>"sqlite:PATH" or "postgres:CONNSTRING" (an Npgsql connection string); null = sqlite in DataDir.</summary>
    public string? Store { get; set; }

    /// <summary>Lifetime of every node WireGuard key (PRODUCT.md: 1h).</summary>
    public TimeSpan KeyLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Longest grant an admin may create (PRODUCT.md: 24h).</summary>
    public TimeSpan MaxGrantDuration { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Join token lifetime when --ttl is not given.</summary>
    public TimeSpan DefaultTokenTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Longest --ttl a join token may have (7d): a leaked join string stops working within it.</summary>
    public TimeSpan MaxTokenTtl { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Largest node/coordinator clock difference accepted in a signed call.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a challenge nonce stays usable.</summary>
    public TimeSpan NonceLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Heartbeat interval on Watch streams.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The largest gRPC message accepted (1 MiB: a policy file is the biggest legitimate one).</summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Deltas kept per node for resuming without a snapshot.</summary>
    public int DeltaLogCapacity { get; set; } = 256;

    /// <summary>Failed enrollments per source within <see cref="EnrollFailureWindow"/> before refusing.</summary>
    public int MaxEnrollFailures { get; set; } = 5;

    public TimeSpan EnrollFailureWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Distinct (node, port) targets one source may be denied on within the window before one alert.</summary>
    public int ProbeAlertThreshold { get; set; } = 10;

    public TimeSpan ProbeAlertWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Live challenge nonces per machine key; issuing one more drops that key's oldest. A node needs one per call.</summary>
    public int NoncesPerMachineKey { get; set; } = 4;

    /// <summary>Live challenge nonces per source (IPv4 address or IPv6 /64); one more drops that source's oldest.</summary>
    public int NoncesPerSource { get; set; } = 256;

    /// <summary>Live challenge nonces in total; one more drops the oldest.</summary>
    public int MaxLiveNonces { get; set; } = 65_536;

    /// <summary>Sources the enrollment failure limiter remembers; the least recently seen is forgotten first.</summary>
    public int MaxEnrollFailureSources { get; set; } = 16_384;

    /// <summary>Probing sources the denied-flow aggregator tracks; the least recently seen is forgotten first.</summary>
    public int MaxProbeSources { get; set; } = 16_384;

    /// <summary>Distinct targets remembered per probing source (past it the count saturates); at least the alert threshold.</summary>
    public int MaxProbeTargetsPerSource { get; set; } = 256;

    /// <summary>Flows in one denied-flow report: the node's own aggregator holds at most 1,024 groups (FilterOptions.MaxDeniedGroups).</summary>
    public int MaxDeniedFlowsPerReport { get; set; } = 1_024;

    /// <summary>Shortest gap between two reports from one node: half the node's 10 s report interval, as slack for delays.</summary>
    public TimeSpan MinDeniedReportInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether the relay embedded here runs (--relay on|off). STUN is answered either way.</summary>
    public bool RelayEnabled { get; set; } = true;

    /// <summary>The suffix nodes answer names under, NAME.SUFFIX (--dns-suffix; lowercase, no trailing dot).</summary>
    public string DnsSuffix { get; set; } = DnsSuffixes.Default;

    /// <summary>Standalone relays (--add-relay) listed to nodes beside the embedded one.</summary>
    public List<RelayServerOption> ExtraRelays { get; } = [];

    /// <summary>Ship each committed audit event to journald (--audit-journald on) through <see cref="JournaldSocket"/>.</summary>
    public bool AuditJournald { get; set; }

    /// <summary>journald's native protocol socket; a setting for tests, not a command-line option.</summary>
    public string JournaldSocket { get; set; } = "/run/systemd/journal/socket";

    /// <summary>Where RFC 5424 syslog lines go (--audit-syslog); null = not shipped to syslog.</summary>
    public SyslogTarget? AuditSyslog { get; set; }

    /// <summary>The OTLP/HTTP logs endpoint audit events are exported to (--audit-otlp); null = none.</summary>
    public Uri? AuditOtlp { get; set; }

    /// <summary>A 0600 file of "Name: value" headers sent with every OTLP export (--audit-otlp-headers), e.g. an API key.</summary>
    public string? AuditOtlpHeadersFile { get; set; }

    /// <summary>Events each audit sink may hold unsent; one more is dropped for that sink and counted.</summary>
    public int AuditShipQueueCapacity { get; set; } = 10_000;

    /// <summary>The URLs actually published: the configured ones, or https://HOSTNAME:PORT.</summary>
    public IReadOnlyList<Uri> EffectivePublicUrls =>
        PublicUrls.Count > 0 ? PublicUrls : [new Uri(FormattableString.Invariant($"https://{Environment.MachineName.ToLowerInvariant()}:{Listen.Port}"))];

    /// <summary>The primary: what needs one URL (the embedded relay's entry, log lines).</summary>
    public Uri EffectivePublicUrl => EffectivePublicUrls[0];

    /// <summary>The store used: <see cref="Store"/>, or sqlite:DATA/coordinator.db.</summary>
    public string EffectiveStore => Store ?? StoreSpec.SqlitePrefix + Path.Combine(DataDir, "coordinator.db");

    /// <summary>Returns null if valid, else a message that names the fix.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDir))
        {
            return "--data must name a directory";
        }

        foreach (var url in PublicUrls)
        {
            if (!CoordinatorUrls.TryParseOne(url.OriginalString, out _, out var problem))
            {
                return $"--public-url {problem}";
            }
        }

        if (PublicUrls.Select(u => u.GetLeftPart(UriPartial.Authority).ToLowerInvariant()).Distinct(StringComparer.Ordinal).Count() != PublicUrls.Count)
        {
            return "--public-url lists a URL twice; name each replica once";
        }

        if (Store is not null && StoreSpec.Problem(Store) is { } storeProblem)
        {
            return storeProblem;
        }

        if (KeyLifetime <= TimeSpan.Zero || MaxGrantDuration <= TimeSpan.Zero || DefaultTokenTtl <= TimeSpan.Zero || MaxTokenTtl <= TimeSpan.Zero
            || MaxClockSkew <= TimeSpan.Zero || NonceLifetime <= TimeSpan.Zero || HeartbeatInterval <= TimeSpan.Zero)
        {
            return "durations must be positive";
        }

        if (MaxMessageBytes < 64 * 1024)
        {
            return "MaxMessageBytes must be at least 64 KiB";
        }

        if (DefaultTokenTtl > MaxTokenTtl)
        {
            return "the default token TTL exceeds --max-token-ttl; raise --max-token-ttl";
        }

        if (DeltaLogCapacity < 1 || MaxEnrollFailures < 1 || ProbeAlertThreshold < 2)
        {
            return "DeltaLogCapacity and MaxEnrollFailures must be >= 1, ProbeAlertThreshold >= 2";
        }

        if (NoncesPerMachineKey < 1 || NoncesPerSource < 1 || MaxLiveNonces < 1 || MaxEnrollFailureSources < 1
            || MaxProbeSources < 1 || MaxDeniedFlowsPerReport < 1 || MinDeniedReportInterval < TimeSpan.Zero)
        {
            return "nonce, source and report bounds must be >= 1 and MinDeniedReportInterval >= 0";
        }

        if (ExtraRelays.Select(r => r.Id).Append(RelayServerOption.EmbeddedId).GroupBy(id => id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            return $"--add-relay: the relay id {twice.Key} is given twice (\"{RelayServerOption.EmbeddedId}\" is the embedded relay's); give each relay its own id";
        }

        if (AuditOtlpHeadersFile is not null && AuditOtlp is null)
        {
            return "--audit-otlp-headers is only used with --audit-otlp URL; add --audit-otlp or drop the headers file";
        }

        if (AuditShipQueueCapacity < 1)
        {
            return "AuditShipQueueCapacity must be >= 1";
        }

        if (MaxProbeTargetsPerSource < ProbeAlertThreshold)
        {
            return "MaxProbeTargetsPerSource must be at least ProbeAlertThreshold, or no source could ever alert";
        }

        return null;
    }
}
