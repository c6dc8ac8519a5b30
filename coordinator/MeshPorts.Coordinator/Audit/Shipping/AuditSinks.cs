using MeshPorts.Contracts.Cli;
using MeshPorts.Coordinator.Options;

namespace MeshPorts.Coordinator.Audit.Shipping;

/// <summary>Builds the sinks the options ask for, at start, before anything is served.</summary>
internal static class AuditSinks
{
    /// <summary>The sinks; <paramref name="notes"/> get what a person should know (a sink asked for that cannot be used here).</summary>
    /// <exception cref="UsageException">The OTLP headers file is missing, open to others, or malformed.</exception>
    public static List<IAuditSink> FromOptions(CoordinatorOptions options, List<string> notes)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(notes);
        IReadOnlyList<KeyValuePair<string, string>> headers = [];
        if (options.AuditOtlpHeadersFile is { } headersFile && !OtlpHeadersFile.TryLoad(headersFile, out headers, out var problem))
        {
            throw new UsageException(problem);
        }

        var sinks = new List<IAuditSink>();
        if (options.AuditJournald)
        {
            if (File.Exists(options.JournaldSocket))
            {
                sinks.Add(new JournaldSink(options.JournaldSocket));
                notes.Add($"audit events shipped to journald ({options.JournaldSocket})");
            }
            else
            {
                notes.Add($"warning: --audit-journald on, but {options.JournaldSocket} does not exist (no systemd-journald here): audit events are not shipped to journald; use --audit-syslog instead");
            }
        }

        if (options.AuditSyslog is { } target)
        {
            sinks.Add(new SyslogSink(target));
            notes.Add($"audit events shipped to syslog ({target}, RFC 5424, [{SyslogSink.SdId} ...])");
        }

        if (options.AuditOtlp is { } endpoint)
        {
            sinks.Add(new OtlpSink(endpoint, headers));
            notes.Add($"audit events exported over OTLP/HTTP to {endpoint.GetLeftPart(UriPartial.Path)}{(headers.Count > 0 ? $" with {headers.Count} header(s) from {options.AuditOtlpHeadersFile}" : "")}");
        }

        return sinks;
    }
}
