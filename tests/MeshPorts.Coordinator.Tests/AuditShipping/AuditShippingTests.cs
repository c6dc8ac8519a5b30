using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MeshPorts.Contracts.Cli;
using MeshPorts.Coordinator.Audit;
using MeshPorts.Coordinator.Audit.Shipping;
using MeshPorts.Coordinator.Cli;
using MeshPorts.Coordinator.Hosting;
using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshPorts.Coordinator.Tests.AuditShipping;

/// <summary>Audit events reach journald, syslog and an OTLP collector after their commit, and only then; a stuck sink drops and counts.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AuditShippingTests : IAsyncLifetime
{
    private readonly string _db = Path.Combine(Path.GetTempPath(), "mp-ship-" + Guid.NewGuid().ToString("N") + ".db");
    private IStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = StoreSpec.Create(StoreSpec.SqlitePrefix + _db);
        await _store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_db + suffix);
        }
    }

    private (AuditLog Log, AuditShipper Shipper) Shipping(params IAuditSink[] sinks) => Shipping(10_000, sinks);

    private (AuditLog Log, AuditShipper Shipper) Shipping(int capacity, params IAuditSink[] sinks)
    {
        var log = TestAudit.Over(_store.Audit);
        var shipper = new AuditShipper(sinks, capacity, NullLogger.Instance);
        log.Shipper = shipper;
        shipper.Start();
        return (log, shipper);
    }

    [Fact]
    public async Task Journald_GetsEachCommittedEvent_WithItsFields_AMultiLineValueInTheBinaryForm()
    {
        using var journal = new FakeDatagramSocket("socket");
        var (log, shipper) = Shipping(new JournaldSink(journal.Path));
        await using var _ = shipper;
        using var __ = log;

        var first = await log.AppendAsync("grant.added", "admin", "laptop -> db:5432", "ok", new { grant = "g_1", duration = "1h" });
        var second = await log.AppendAsync("token.failed", "source:192.0.2.7", "line one\nline two", "denied", new { reason = "unknown token" });

        var got = new[] { JournalDatagram.Parse(await journal.ReceiveAsync()), JournalDatagram.Parse(await journal.ReceiveAsync()) };
        Assert.True(journal.Quiet(300), "journald got more datagrams than events were committed");
        foreach (var (fields, record, priority) in new[] { (got[0], first, "6"), (got[1], second, "4") })
        {
            Assert.Equal(record.Seq.ToString(CultureInfo.InvariantCulture), fields["MESHPORTS_AUDIT_SEQ"]);
            Assert.Equal(record.Kind, fields["MESHPORTS_AUDIT_KIND"]);
            Assert.Equal(record.Actor, fields["MESHPORTS_AUDIT_ACTOR"]);
            Assert.Equal(record.Subject, fields["MESHPORTS_AUDIT_SUBJECT"]);
            Assert.Equal(record.Outcome, fields["MESHPORTS_AUDIT_OUTCOME"]);
            Assert.Equal(record.Details, fields["MESHPORTS_AUDIT_DETAILS"]);
            Assert.Equal(record.Hash, fields["MESHPORTS_AUDIT_HASH"]);
            Assert.Equal(record.PrevHash, fields["MESHPORTS_AUDIT_PREV_HASH"]);
            Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(record.Time), DateTimeOffset.Parse(fields["MESHPORTS_AUDIT_TIME"], CultureInfo.InvariantCulture));
            Assert.Equal(priority, fields["PRIORITY"]);
            Assert.Equal("meshports-coordinator", fields["SYSLOG_IDENTIFIER"]);
            Assert.StartsWith($"audit {record.Seq} {record.Kind} ", fields["MESSAGE"], StringComparison.Ordinal);
        }

        // The stored hash is of exactly these values: what journald holds can be checked against the chain.
        var stored = await _store.Audit.ListAsync(0, 0, 10, CancellationToken.None);
        Assert.Equal(stored.Select(r => r.Hash), got.Select(f => f["MESHPORTS_AUDIT_HASH"]));
        Assert.Equal("line one\nline two", got[1]["MESHPORTS_AUDIT_SUBJECT"]);
        Assert.Equal(2, shipper.Queues[0].Shipped);
        Assert.Equal(0, shipper.Queues[0].Dropped);
    }

    [Fact]
    public async Task Syslog_GetsRfc5424_WithTheFieldsAsStructuredData()
    {
        using var devLog = new FakeDatagramSocket("log");
        var (log, shipper) = Shipping(new SyslogSink(new SyslogTarget(devLog.Path, null, 0)));
        await using var _ = shipper;
        using var __ = log;

        var record = await log.AppendAsync("policy.rejected", "admin", "rule [web]", "failed", new { reason = "a \"quoted\" word and a ] bracket \\ too" });

        var message = SyslogMessage.Parse(await devLog.ReceiveAsync());
        Assert.Equal((10 * 8) + 4, message.Pri);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(record.Time), DateTimeOffset.Parse(message.Timestamp, CultureInfo.InvariantCulture));
        Assert.Equal("meshports-coordinator", message.App);
        Assert.Equal(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), message.ProcId);
        Assert.Equal("policy.rejected", message.MsgId);
        Assert.Equal("meshports@32473", message.SdId);
        Assert.Equal(record.Seq.ToString(CultureInfo.InvariantCulture), message.Params["seq"]);
        Assert.Equal(record.Subject, message.Params["subject"]);
        Assert.Equal(record.Details, message.Params["details"]);
        Assert.Equal(record.Hash, message.Params["hash"]);
        Assert.Equal(record.PrevHash, message.Params["prev_hash"]);
        Assert.Equal(["actor", "details", "hash", "kind", "outcome", "prev_hash", "seq", "subject", "time"], message.Params.Keys.Order(StringComparer.Ordinal));
        Assert.StartsWith("audit 1 policy.rejected ", message.Msg, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Syslog_OverUdp_ReachesTheAddress()
    {
        using var receiver = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)receiver.Client.LocalEndPoint!).Port;
        Assert.True(SyslogTarget.TryParse($"udp:127.0.0.1:{port}", out var target, out var problem), problem);
        var (log, shipper) = Shipping(new SyslogSink(target!));
        await using var _ = shipper;
        using var __ = log;

        var record = await log.AppendAsync("node.removed", "admin", "laptop", "ok", null);

        using var cts = new CancellationTokenSource(10_000);
        var message = SyslogMessage.Parse((await receiver.ReceiveAsync(cts.Token)).Buffer);
        Assert.Equal((10 * 8) + 6, message.Pri);
        Assert.Equal(record.Hash, message.Params["hash"]);
    }

    [Fact]
    public async Task Otlp_CollectorGetsEachEventAsALogRecord_WithAnAttributePerField_AndTheHeaders()
    {
        using var collector = new FakeOtlpCollector();
        Assert.True(OtlpSink.TryParseEndpoint(collector.BaseUrl.ToString(), out var endpoint, out var problem), problem);
        var (log, shipper) = Shipping(new OtlpSink(endpoint!, [new("X-Api-Key", "k-123, with a comma"), new("Authorization", "Bearer t0ken")]));
        await using var _ = shipper;
        using var __ = log;

        var first = await log.AppendAsync("grant.added", "admin", "laptop -> db:5432", "ok", new { grant = "g_1" });
        var second = await log.AppendAsync("key.refused", "node:laptop", "two\nlines", "denied", null);

        var requests = new[] { await collector.NextAsync(), await collector.NextAsync() };
        foreach (var request in requests)
        {
            Assert.Equal("POST", request.Method);
            Assert.Equal("/v1/logs", request.Path);
            Assert.Equal("application/x-protobuf", request.ContentType);
            Assert.Equal("k-123, with a comma", request.Headers["X-Api-Key"]);
            Assert.Equal("Bearer t0ken", request.Headers["Authorization"]);
        }

        var records = requests.SelectMany(r => r.Records).ToList();
        Assert.Equal(2, records.Count);
        foreach (var (got, record, severity) in new[] { (records[0], first, 9), (records[1], second, 13) })
        {
            Assert.Equal(record.Seq, got.Attributes["meshports.audit.seq"]);
            Assert.Equal(record.Kind, got.Attributes["meshports.audit.kind"]);
            Assert.Equal(record.Actor, got.Attributes["meshports.audit.actor"]);
            Assert.Equal(record.Subject, got.Attributes["meshports.audit.subject"]);
            Assert.Equal(record.Outcome, got.Attributes["meshports.audit.outcome"]);
            Assert.Equal(record.Details, got.Attributes["meshports.audit.details"]);
            Assert.Equal(record.Hash, got.Attributes["meshports.audit.hash"]);
            Assert.Equal(record.PrevHash, got.Attributes["meshports.audit.prev_hash"]);
            Assert.Equal((ulong)record.Time * 1_000_000, got.TimeUnixNano);
            Assert.Equal(severity, got.SeverityNumber);
            Assert.StartsWith($"audit {record.Seq} {record.Kind} ", got.Body, StringComparison.Ordinal);
            Assert.Equal("meshports-coordinator", got.Resource["service.name"]);
        }

        Assert.Equal(2, shipper.Queues[0].Shipped);
    }

    [Fact]
    public async Task Otlp_CollectorRefusingTheExport_CountsTheEventAsDropped()
    {
        using var collector = new FakeOtlpCollector { Status = 400 };
        Assert.True(OtlpSink.TryParseEndpoint(collector.BaseUrl + "v1/logs", out var endpoint, out var refusedProblem), refusedProblem);
        var (log, shipper) = Shipping(new OtlpSink(endpoint!, []));
        await using var _ = shipper;
        using var __ = log;

        await log.AppendAsync("grant.added", "admin", "g", "ok", null);

        await collector.NextAsync();
        await WaitUntilAsync(() => shipper.Queues[0].Dropped == 1, "the refused export is counted as dropped");
        Assert.Equal(0, shipper.Queues[0].Shipped);
    }

    [Fact]
    public async Task FullQueue_DropsAndCounts_WithoutHoldingUpTheCommit()
    {
        var stuck = new StuckSink();
        var (log, shipper) = Shipping(2, stuck);
        using var __ = log;
        await log.AppendAsync("e.1", "admin", "s", "ok", null);
        await stuck.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // Event 1 is in the sink, which never returns; 2 and 3 fill the queue, 4 and 5 are dropped.
        var appends = Task.WhenAll(Enumerable.Range(2, 4).Select(i => log.AppendAsync("e." + i, "admin", "s", "ok", null)));
        await appends.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(5, await _store.Audit.CountAsync(CancellationToken.None));
        Assert.Equal(2, shipper.Queues[0].Dropped);
        Assert.Equal(2, shipper.Queues[0].Queued);
        Assert.Equal(0, shipper.Queues[0].Shipped);

        stuck.Release.SetResult();
        await WaitUntilAsync(() => shipper.Queues[0].Shipped == 3, "the queued events go out once the sink returns");
        Assert.Equal([1, 2, 3], stuck.Seqs);
        await shipper.DisposeAsync();
    }

    [Fact]
    public async Task RolledBackCommit_ShipsNothing()
    {
        using var journal = new FakeDatagramSocket("socket");
        var (log, shipper) = Shipping(new JournaldSink(journal.Path));
        await using var _ = shipper;
        using var __ = log;
        await log.AppendAsync("grant.added", "admin", "g_1", "ok", null);
        Assert.Equal("grant.added", JournalDatagram.Parse(await journal.ReceiveAsync())["MESHPORTS_AUDIT_KIND"]);

        // The events are chained and signed, then the insert fails and the transaction rolls back.
        await using (var connection = new SqliteConnection("Data Source=" + _db))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TRIGGER refuse BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;";
            await command.ExecuteNonQueryAsync();
        }

        await Assert.ThrowsAsync<SqliteException>(() => log.AppendAsync("grant.revoked", "admin", "g_1", "ok", null));

        Assert.True(journal.Quiet(500), "an event whose transaction rolled back was shipped");
        Assert.Equal(1, await _store.Audit.CountAsync(CancellationToken.None));
        Assert.Equal(1, shipper.Queues[0].Shipped);
    }

    [Fact]
    public async Task HeadersFile_ReadableByOthers_IsRefusedAtStart_WithoutItsValues()
    {
        var dir = Path.Combine(Path.GetTempPath(), "mp-ship-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var headers = Path.Combine(dir, "otlp-headers");
            await File.WriteAllTextAsync(headers, "X-Api-Key: s3cret-value\n");
            File.SetUnixFileMode(headers, (UnixFileMode)Convert.ToInt32("644", 8));
            var error = new StringWriter();
            var data = Path.Combine(dir, "data");

            var code = await CoordinatorProgram.RunAsync(["--data", data, "--listen", "127.0.0.1:0", "--audit-otlp", "http://127.0.0.1:4318", "--audit-otlp-headers", headers],
                TextWriter.Null, error);

            Assert.Equal(2, code);
            Assert.Contains($"--audit-otlp-headers {headers} is mode 0644", error.ToString(), StringComparison.Ordinal);
            Assert.Contains($"chmod 600 {headers}", error.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("s3cret", error.ToString(), StringComparison.Ordinal);
            Assert.False(Directory.Exists(data), "the coordinator started making its data dir before refusing");

            File.SetUnixFileMode(headers, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Assert.True(OtlpHeadersFile.TryLoad(headers, out var loaded, out var problem), problem);
            Assert.Equal([new KeyValuePair<string, string>("X-Api-Key", "s3cret-value")], loaded);

            await File.WriteAllTextAsync(headers, "just-a-bare-s3cret\n");
            Assert.False(OtlpHeadersFile.TryLoad(headers, out _, out problem));
            Assert.Contains("line 1 is not \"Name: value\"", problem, StringComparison.Ordinal);
            Assert.DoesNotContain("s3cret", problem, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("--audit-otlp", "127.0.0.1:4318", "expected the http:// or https:// URL of an OTLP/HTTP collector")]
    [InlineData("--audit-otlp", "grpc://collector:4317", "OTLP over gRPC, port 4317, is not supported")]
    [InlineData("--audit-otlp", "https://user:pw@collector:4318", "put them in a 0600 file for --audit-otlp-headers")]
    [InlineData("--audit-syslog", "tcp:127.0.0.1:514", "expected on, off, unix:/dev/log or udp:HOST:PORT")]
    [InlineData("--audit-syslog", "udp:127.0.0.1:0", "a port 1-65535")]
    [InlineData("--audit-syslog", "unix:dev/log", "must be absolute")]
    [InlineData("--audit-syslog", "udp:192.0.2.10:514", "syslog over UDP is plaintext")]
    [InlineData("--audit-otlp", "http://collector.example:4318", "use https://")]
    [InlineData("--audit-otlp", "http://192.0.2.10:4318", "use https://")]
    [InlineData("--audit-journald", "yes", "expected on or off")]
    [InlineData("--audit-otlp-headers", "/etc/meshports/otlp-headers", "only used with --audit-otlp URL")]
    public void BadShippingOptions_AreRefused_NamingTheFix(string option, string value, string fix)
    {
        var ex = Assert.Throws<UsageException>(() => CommandLine.Parse([option, value]));
        Assert.Contains(fix, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShippingOptions_Parse()
    {
        var options = CommandLine.Parse(["--audit-journald", "on", "--audit-syslog", "on", "--audit-otlp", "https://otel.example:4318"])!;

        Assert.True(options.AuditJournald);
        Assert.Equal("unix:/dev/log", options.AuditSyslog!.ToString());
        Assert.Equal(new Uri("https://otel.example:4318/v1/logs"), options.AuditOtlp);
        Assert.Equal(new Uri("http://127.0.0.1:4318/custom/logs"), CommandLine.Parse(["--audit-otlp", "http://127.0.0.1:4318/custom/logs"])!.AuditOtlp);
        Assert.Equal(new Uri("http://[::1]:4318/v1/logs"), CommandLine.Parse(["--audit-otlp", "http://[::1]:4318"])!.AuditOtlp);
        Assert.Equal("udp:localhost:514", CommandLine.Parse(["--audit-syslog", "udp:localhost:514"])!.AuditSyslog!.ToString());
        Assert.Null(CommandLine.Parse(["--audit-syslog", "off"])!.AuditSyslog);
    }

    [Fact]
    public async Task Coordinator_ShipsWhatItCommits_WithoutSecrets_AndCountsItOnMetrics()
    {
        using var journal = new FakeDatagramSocket("socket");
        using var devLog = new FakeDatagramSocket("log");
        await using var c = await TestCoordinator.StartAsync(o =>
        {
            o.AuditJournald = true;
            o.JournaldSocket = journal.Path;
            o.AuditSyslog = new SyslogTarget(devLog.Path, null, 0);
        });

        var (token, join, secret) = await c.CreateTokenAsync("laptop");

        var fields = JournalDatagram.Parse(await journal.ReceiveAsync());
        var syslog = SyslogMessage.Parse(await devLog.ReceiveAsync());
        Assert.Equal("token.created", fields["MESHPORTS_AUDIT_KIND"]);
        Assert.Equal(token.Id, fields["MESHPORTS_AUDIT_SUBJECT"]);
        Assert.Equal(fields["MESHPORTS_AUDIT_HASH"], syslog.Params["hash"]);
        foreach (var text in fields.Values.Concat(syslog.Params.Values))
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(join, text, StringComparison.Ordinal);
        }

        await MetricsReader.WaitForAsync(c, "meshports_audit_shipped_total{sink=\"journald\"}", v => v == 1);
        await MetricsReader.WaitForAsync(c, "meshports_audit_shipped_total{sink=\"syslog\"}", v => v == 1);
        Assert.Equal(0, await MetricsReader.ReadDoubleAsync(c, "meshports_audit_ship_dropped_total{sink=\"journald\"}"));
        Assert.Equal(0, await MetricsReader.ReadDoubleAsync(c, "meshports_audit_ship_queued{sink=\"syslog\"}"));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>A sink that takes one event and never returns until released: a collector that hangs.</summary>
    private sealed class StuckSink : IAuditSink
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<long> Seqs { get; } = [];

        public string Name => "stuck";

        public async Task SendAsync(AuditRecord record, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
            lock (Seqs)
            {
                Seqs.Add(record.Seq);
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
