using System.Text.Json;
using MeshPorts.Contracts.Admin;
using MeshPorts.Security.Tests.Support;

namespace MeshPorts.Security.Tests.Attacks;

/// <summary>
/// Attacks on the audit log by someone who can write the coordinator's database but not read
/// DATA/audit-signing.key: with the coordinator stopped, they rewrite an event and recompute every later hash, or
/// delete the last events, and start it again. `meshctl audit verify`, which saw the log once before, must exit 1
/// naming what happened, and keep the head it saw; the sink (audit.jsonl) must still hold the original.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class AuditTamperAttacks
{
    private const int EventsBefore = 6;

    /// <summary>Attacks an event's row: the actor of event 2 is changed and the chain recomputed so it is consistent again.</summary>
    [Fact]
    public async Task RewrittenEvent_WithTheChainRecomputed_IsReportedAsRewritten()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var run = await LoopbackCoordinator.StartAsync(cts.Token);
        var seen = await MakeEventsAndVerifyOnceAsync(run, cts.Token);
        var sinkBefore = await File.ReadAllLinesAsync(Path.Combine(run.DataDirectory, "audit.jsonl"), cts.Token);

        await run.StopAsync();
        await AuditDatabaseEditor.RewriteAndRecomputeAsync(run.Database, seq: 2, actor: "mallory");
        await run.RestartAsync(cts.Token);

        var verify = await run.MeshctlAsync(cts.Token, "audit", "verify");
        Assert.True(verify.ExitCode == 1, $"a rewritten log was accepted:\n{verify.Describe()}");
        Assert.Contains($"audit log rewritten: event {EventsBefore}'s hash differs from the head seen", verify.Stderr);
        Assert.Single(verify.Stderr.Trim().Split('\n'));

        // Nothing was accepted: meshctl kept the head it saw; the coordinator recorded that its head no longer matched.
        Assert.Equal(seen, await File.ReadAllTextAsync(run.MeshctlConfig + ".audit-head", cts.Token));
        Assert.Contains("audit.head_mismatch", await AuditDatabaseEditor.KindsAsync(run.Database));
        Assert.Contains("AUDIT LOG CHANGED OUTSIDE THE COORDINATOR", run.Output);

        // The sink still holds event 2 as it was, with the head signed over the original chain.
        var sinkEvent2 = JsonDocument.Parse(sinkBefore[1]).RootElement;
        Assert.Equal("admin", sinkEvent2.GetProperty("actor").GetString());
        Assert.Equal(sinkBefore, (await File.ReadAllLinesAsync(Path.Combine(run.DataDirectory, "audit.jsonl"), cts.Token))[..sinkBefore.Length]);
    }

    /// <summary>Attacks the end of the log: the last two events are deleted, which a bare hash chain cannot show.</summary>
    [Fact]
    public async Task DeletedLastEvents_AreReportedAsTruncated()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var run = await LoopbackCoordinator.StartAsync(cts.Token);
        var seen = await MakeEventsAndVerifyOnceAsync(run, cts.Token);

        await run.StopAsync();
        await AuditDatabaseEditor.DeleteAfterAsync(run.Database, EventsBefore - 2);
        await run.RestartAsync(cts.Token);

        var verify = await run.MeshctlAsync(cts.Token, "audit", "verify");
        Assert.True(verify.ExitCode == 1, $"a truncated log was accepted:\n{verify.Describe()}");
        Assert.Contains($"but {EventsBefore} was seen", verify.Stderr);
        Assert.Contains("audit log truncated", verify.Stderr);
        Assert.Equal(seen, await File.ReadAllTextAsync(run.MeshctlConfig + ".audit-head", cts.Token));
        Assert.Equal(EventsBefore, File.ReadAllLines(Path.Combine(run.DataDirectory, "audit.jsonl")).Count(l => !l.Contains("audit.head_mismatch", StringComparison.Ordinal)));
    }

    /// <summary>The control: the same stop and restart with nothing edited verifies, and the saved head moves on.</summary>
    [Fact]
    public async Task UntouchedLog_AfterARestart_Verifies()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var run = await LoopbackCoordinator.StartAsync(cts.Token);
        await MakeEventsAndVerifyOnceAsync(run, cts.Token);

        await run.StopAsync();
        await run.RestartAsync(cts.Token);
        await CreateTokenAsync(run, "after-restart", cts.Token);

        var verify = await run.MeshctlAsync(cts.Token, "audit", "verify");
        Assert.True(verify.Succeeded, verify.Describe());
        Assert.Contains($"audit log intact: {EventsBefore + 1} events", verify.Stdout);
        Assert.Contains($"still holds event {EventsBefore}", verify.Stdout);
        Assert.DoesNotContain("audit.head_mismatch", await AuditDatabaseEditor.KindsAsync(run.Database));
    }

    /// <summary>Makes <see cref="EventsBefore"/> events, runs `meshctl audit verify` once so it saves the head, and returns what it saved.</summary>
    private static async Task<string> MakeEventsAndVerifyOnceAsync(LoopbackCoordinator run, CancellationToken ct)
    {
        for (var i = 0; i < EventsBefore; i++)
        {
            await CreateTokenAsync(run, "t" + i, ct);
        }

        var verify = await run.MeshctlAsync(ct, "audit", "verify");
        Assert.True(verify.Succeeded, verify.Describe());
        Assert.DoesNotContain("first use", verify.Stderr);
        var saved = run.MeshctlConfig + ".audit-head";
        Assert.True(File.Exists(saved), $"meshctl audit verify saved no head:\n{verify.Describe()}");
        var text = await File.ReadAllTextAsync(saved, ct);
        Assert.Contains($"seq = {EventsBefore}\n", text);
        return text;
    }

    private static async Task CreateTokenAsync(LoopbackCoordinator run, string name, CancellationToken ct)
    {
        using var raw = new RawGrpc(run.Url);
        var result = await raw.CallAsync("/meshports.admin.v1.Admin/CreateToken", new CreateTokenRequest { Name = name }, bearer: run.AdminToken, ct: ct);
        Assert.True(result.GrpcStatus == 0, $"CreateToken as the admin answered {result}");
    }
}
