using MeshPorts.Coordinator.Storage;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;

namespace MeshPorts.Coordinator.Audit.Shipping;

/// <summary>
/// Each event as an OpenTelemetry log record over OTLP/HTTP (protobuf), through the OpenTelemetry SDK's own OTLP
/// exporter on a logger factory of its own (the coordinator's other logs are not exported). The body is the
/// event's line, every field an attribute <c>meshports.audit.*</c>, the record's time the event's. One export per
/// event, synchronously on this sink's drain task, so the exporter's answer decides shipped or dropped.
/// </summary>
internal sealed class OtlpSink : IAuditSink
{
    public const string AttributePrefix = "meshports.audit.";

    private readonly ILoggerFactory _factory;
    private readonly ILogger _logger;
    private readonly ResultProcessor _processor;

    public OtlpSink(Uri endpoint, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(headers);
        var timeout = TimeSpan.FromSeconds(10);
        var options = new OtlpExporterOptions
        {
            Endpoint = endpoint,
            Protocol = OtlpExportProtocol.HttpProtobuf,
            TimeoutMilliseconds = (int)timeout.TotalMilliseconds,

            // Headers go straight onto the client: OtlpExporterOptions.Headers is one comma-separated string,
            // which a value holding a comma would break.
            HttpClientFactory = () =>
            {
                var client = new HttpClient { Timeout = timeout };
                foreach (var (name, value) in headers)
                {
                    client.DefaultRequestHeaders.TryAddWithoutValidation(name, value);
                }

                return client;
            },
        };
        _processor = new ResultProcessor(new OtlpLogExporter(options));
        _factory = LoggerFactory.Create(b => b.AddOpenTelemetry(o =>
        {
            o.SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(AuditFields.Identifier,
                serviceVersion: typeof(OtlpSink).Assembly.GetName().Version?.ToString()));
            o.AddProcessor(_processor);
        }));
        _logger = _factory.CreateLogger("MeshPorts.Audit");
    }

    public string Name => "otlp";

    /// <summary>The URL given, with /v1/logs added when it names no path (an OTLP/HTTP collector's base address).</summary>
    public static bool TryParseEndpoint(string text, out Uri? endpoint, out string problem)
    {
        endpoint = null;
        problem = "";
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            problem = "expected the http:// or https:// URL of an OTLP/HTTP collector, e.g. http://127.0.0.1:4318 (OTLP over gRPC, port 4317, is not supported)";
            return false;
        }

        if (uri.UserInfo.Length > 0)
        {
            problem = "the URL carries credentials, which would show in the process list; put them in a 0600 file for --audit-otlp-headers instead";
            return false;
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !SyslogTarget.IsLoopback(uri.IdnHost.Trim('[', ']')))
        {
            problem = "plain http:// would send the audit log and the --audit-otlp-headers keys across the network in the clear; use https:// (or http:// to a collector on this host's loopback)";
            return false;
        }

        endpoint = uri.AbsolutePath == "/" ? new Uri(uri, "v1/logs") : uri;
        return true;
    }

    public Task SendAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        var state = new List<KeyValuePair<string, object?>>(12);
        foreach (var (name, value) in AuditFields.Of(record))
        {
            state.Add(new(AttributePrefix + name, name == "seq" ? record.Seq : value));
        }

        // The SDK takes {OriginalFormat} as the body and leaves it out of the attributes.
        var message = AuditFields.Message(record);
        state.Add(new("{OriginalFormat}", message));
        var level = AuditFields.Severity(record) == 6 ? LogLevel.Information : LogLevel.Warning;
        _processor.NextTimestamp = DateTimeOffset.FromUnixTimeMilliseconds(record.Time).UtcDateTime;
        _processor.LastResult = ExportResult.Failure;
        _logger.Log(level, default, state, null, (_, _) => message);
        return _processor.LastResult == ExportResult.Success
            ? Task.CompletedTask
            : Task.FromException(new InvalidOperationException("the OTLP collector refused the export or did not answer within 10 s"));
    }

    public ValueTask DisposeAsync()
    {
        _factory.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Exports each record as it ends, on the caller's thread, and keeps the exporter's answer.</summary>
    private sealed class ResultProcessor : BaseExportProcessor<LogRecord>
    {
        public ResultProcessor(BaseExporter<LogRecord> exporter)
            : base(exporter)
        {
        }

        public DateTime? NextTimestamp { get; set; }

        public ExportResult LastResult { get; set; }

        protected override void OnExport(LogRecord data)
        {
            if (NextTimestamp is { } time)
            {
                data.Timestamp = time;
            }

            LastResult = exporter.Export(new Batch<LogRecord>(data));
        }
    }
}
