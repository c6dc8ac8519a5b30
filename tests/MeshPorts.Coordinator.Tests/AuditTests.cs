using MeshPorts.Contracts.Admin;
using MeshPorts.Coordinator.Storage.Sqlite;
using MeshPorts.Coordinator.Tests.Support;
using Microsoft.Data.Sqlite;

namespace MeshPorts.Coordinator.Tests;

public sealed class AuditTests
{
    private static async Task<TestCoordinator> WithEventsAsync()
    {
        var c = await TestCoordinator.StartAsync();
        for (var i = 0; i < 5; i++)
        {
            await c.CreateTokenAsync("t" + i);
        }

        var ok = await c.Admin.VerifyAuditAsync(new VerifyAuditRequest());
        Assert.True(ok.Ok, ok.Problem);
        Assert.Equal(5ul, ok.Checked);
        return c;
    }

    private static async Task ExecAsync(TestCoordinator c, string sql)
    {
        await using var connection = new SqliteConnection("Data Source=" + ((SqliteStore)c.Host.Store).Path);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Verify_DetectsAnEditedEntry()
    {
        await using var c = await WithEventsAsync();
        await ExecAsync(c, "UPDATE audit SET actor = 'mallory' WHERE seq = 3;");
        var v = await c.Admin.VerifyAuditAsync(new VerifyAuditRequest());
        Assert.False(v.Ok);
        Assert.Equal(3ul, v.FirstBadSeq);
        Assert.Contains("edited", v.Problem);
    }

    [Fact]
    public async Task Verify_DetectsADroppedEntry()
    {
        await using var c = await WithEventsAsync();
        await ExecAsync(c, "DELETE FROM audit WHERE seq = 2;");
        var v = await c.Admin.VerifyAuditAsync(new VerifyAuditRequest());
        Assert.False(v.Ok);
        Assert.Equal(2ul, v.FirstBadSeq);
        Assert.Contains("missing", v.Problem);
    }

    [Fact]
    public async Task Verify_DetectsDroppedEntryEvenWhenSeqIsRenumbered()
    {
        await using var c = await WithEventsAsync();
        await ExecAsync(c, "DELETE FROM audit WHERE seq = 2; UPDATE audit SET seq = seq - 1 WHERE seq > 2;");
        var v = await c.Admin.VerifyAuditAsync(new VerifyAuditRequest());
        Assert.False(v.Ok);
        Assert.Equal(2ul, v.FirstBadSeq);
    }

    [Fact]
    public async Task Verify_DetectsReorderedEntries()
    {
        await using var c = await WithEventsAsync();
        await ExecAsync(c, "UPDATE audit SET seq = -1 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = -1;");
        var v = await c.Admin.VerifyAuditAsync(new VerifyAuditRequest());
        Assert.False(v.Ok);
        Assert.Equal(2ul, v.FirstBadSeq);
        Assert.Contains("reordered", v.Problem);
    }

    [Fact]
    public async Task Audit_IsAlsoWrittenToJsonl_WithoutSecrets()
    {
        await using var c = await TestCoordinator.StartAsync();
        var (_, join, secret) = await c.CreateTokenAsync("n");
        var lines = await File.ReadAllLinesAsync(Path.Combine(c.DataDir, "audit.jsonl"));
        Assert.Contains(lines, l => l.Contains("\"token.created\""));
        Assert.DoesNotContain(lines, l => l.Contains(secret) || l.Contains(join));
    }

    [Fact]
    public async Task Details_KeepPlusSignsAndWriteTimesAsRfc3339()
    {
        await using var c = await TestCoordinator.StartAsync();

        var record = await c.Host.Audit.AppendAsync("test.details", "admin", "x", "ok",
            new { reason = "on-call+db <ops>", until = new DateTimeOffset(2026, 12, 2, 4, 0, 0, TimeSpan.FromHours(1)) });

        Assert.Equal("{\"reason\":\"on-call+db <ops>\",\"until\":\"2026-12-02T03:00:00Z\"}", record.Details);
        var verified = await c.Admin.VerifyAuditAsync(new VerifyAuditRequest());
        Assert.True(verified.Ok, verified.Problem);
    }

    [Fact]
    public async Task Details_EscapeControlAndBidiCharactersThatCouldDisguiseAnEntry()
    {
        await using var c = await TestCoordinator.StartAsync();

        // An unauthenticated enroll's requested name lands in token.failed: it must not repaint or reorder a terminal.
        var record = await c.Host.Audit.AppendAsync("test.details", "admin", "x", "ok", new { requested = "db\u202e\u001b[2J\u200b" });

        Assert.Equal("{\"requested\":\"db\\u202E\\u001B[2J\\u200B\"}", record.Details);
    }

    [Fact]
    public async Task DeniedFlows_FromAProbingSource_RaiseOneAlert()
    {
        await using var c = await TestCoordinator.StartAsync(o => o.ProbeAlertThreshold = 5);
        using var node = await c.EnrollAsync("target");
        using var prober = await c.EnrollAsync("prober");
        for (var round = 0; round < 3; round++)
        {
            var report = new Contracts.Node.DeniedFlowReport();
            for (var port = 1; port <= 10; port++)
            {
                report.Flows.Add(new Contracts.Node.DeniedFlow
                {
                    SourceAddress = prober.Enrolled!.OverlayIpv4,
                    DestinationAddress = node.Enrolled!.OverlayIpv4,
                    Port = (uint)(port + (round * 10)),
                    Protocol = Contracts.Node.Protocol.Tcp,
                    Count = 3,
                });
            }

            report.Auth = await node.SignAsync(report, "/meshports.node.v1.NodeControl/ReportDeniedFlows");
            await c.Node.ReportDeniedFlowsAsync(report);
            c.Time.Advance(TimeSpan.FromSeconds(10));
        }

        var events = (await c.Admin.ListAuditAsync(new ListAuditRequest())).Events;
        Assert.Equal(3, events.Count(e => e.Kind == "flow.denied"));
        var alert = Assert.Single(events, e => e.Kind == "flow.alert");
        Assert.Equal("prober", alert.Subject);
        Assert.Equal("node:target", alert.Actor);
    }
}
