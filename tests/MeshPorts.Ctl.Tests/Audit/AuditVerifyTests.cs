using MeshPorts.Ctl.Api;
using MeshPorts.Ctl.Audit;
using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Tests.Cli;
using Microsoft.Extensions.Time.Testing;
using NSec.Cryptography;
using Xunit;

namespace MeshPorts.Ctl.Tests.Audit;

/// <summary>
/// <c>meshctl audit verify</c> against a server that may lie: meshctl recomputes the chain itself, checks the
/// head's signature and that the log still holds the head it saw last time.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AuditVerifyTests : IDisposable
{
    private const string Hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private readonly TempDir _dir = new();
    private readonly FakeAdminApi _api = new();
    private readonly SignedAuditLog _log;

    public AuditVerifyTests()
    {
        _log = new SignedAuditLog(_api);
    }

    private string SeenPath => SeenHeadFile.PathFor(System.IO.Path.Combine(_dir.Path, "meshctl.conf"));

    public void Dispose()
    {
        _log.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Verify_FreshGoodLog_PassesAndSavesTheHead()
    {
        _log.Append(5);
        var run = await VerifyAsync(_log.KeyText);
        Assert.True(run.ExitCode == 0, run.Err);
        Assert.Contains("audit log intact: 5 events", run.Out);
        var seen = SeenHeadFile.Load(SeenPath);
        Assert.NotNull(seen);
        Assert.Equal(5ul, seen.Seq);
        Assert.Equal(_api.AuditEvents[^1].Hash, seen.Hash);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SeenPath));
    }

    [Fact]
    public async Task Verify_AfterTheLogGrew_PassesAndMovesTheSavedHead()
    {
        _log.Append(3);
        Assert.Equal(0, (await VerifyAsync(_log.KeyText)).ExitCode);
        _log.Append(2);
        var run = await VerifyAsync(_log.KeyText);
        Assert.True(run.ExitCode == 0, run.Err);
        Assert.Contains("still holds event 3", run.Out);
        Assert.Equal(5ul, SeenHeadFile.Load(SeenPath)!.Seq);
    }

    [Fact]
    public async Task Verify_EventTamperedWithTheRestOfTheChainRecomputed_FailsOnTheHeadSignature()
    {
        _log.Append(5);
        _log.RewriteAndRecompute(3);

        // The attacker also points the head at the new last hash, but cannot sign it.
        _api.VerifyResult = _api.VerifyResult with { Head = _api.VerifyResult.Head! with { Hash = _api.AuditEvents[^1].Hash! } };
        var run = await VerifyAsync(_log.KeyText);
        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("meshctl: head signature does not verify", run.Err);
        Assert.False(File.Exists(SeenPath), "a failed verify saved a head");
    }

    [Fact]
    public async Task Verify_EventTamperedWithTheOldHeadLeftInPlace_SaysTheLogWasRewritten()
    {
        _log.Append(5);
        _log.RewriteAndRecompute(2);
        var run = await VerifyAsync(_log.KeyText);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("audit log rewritten: event 5's hash differs from the signed head's", run.Err);
    }

    [Fact]
    public async Task Verify_LastEventsDeleted_FailsAgainstTheSavedHead()
    {
        _log.Append(5);
        Assert.Equal(0, (await VerifyAsync(_log.KeyText)).ExitCode);
        var saved = File.ReadAllText(SeenPath);

        // The database cut back to event 3, with the head that was validly signed when 3 was the last event.
        _api.AuditEvents.RemoveRange(3, 2);
        _log.SignHead();
        var run = await VerifyAsync(_log.KeyText);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("audit log truncated: it ends at 3, but 5 was seen 2026-11-29T06:00:00Z", run.Err);
        Assert.Contains(SeenPath, run.Err);
        Assert.Equal(saved, File.ReadAllText(SeenPath));
    }

    [Fact]
    public async Task Verify_SeenEventRewrittenAndReSigned_FailsAgainstTheSavedHead()
    {
        // What a coordinator restarted on an edited database does: it records the mismatch and signs on.
        _log.Append(5);
        Assert.Equal(0, (await VerifyAsync(_log.KeyText)).ExitCode);
        _log.RewriteAndRecompute(2);
        _log.Append(1);
        var run = await VerifyAsync(_log.KeyText);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("audit log rewritten: event 5's hash differs from the head seen 2026-11-29T06:00:00Z", run.Err);
    }

    [Fact]
    public async Task Verify_HeadSignedWithAnotherKey_Fails()
    {
        _log.Append(4);
        using var other = Key.Create(SignatureAlgorithm.Ed25519);
        _log.SignHead(other);
        var run = await VerifyAsync(_log.KeyText);
        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("meshctl: head signature does not verify", run.Err);
    }

    [Fact]
    public async Task Verify_EventsPastTheSignedHead_AreRefused()
    {
        _log.Append(3);
        var head = _api.VerifyResult;
        _log.Append(2);
        _api.VerifyResult = head;
        var run = await VerifyAsync(_log.KeyText);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("events after 3 are not covered by a signed head", run.Err);
    }

    [Fact]
    public async Task Verify_EventsAppendedWhileItReads_AreCoveredByTheNextHead()
    {
        _log.Append(3);
        var before = _api.VerifyResult;
        _log.Append(2);
        _api.LaterVerifyResults.Enqueue(_api.VerifyResult);
        _api.VerifyResult = before;
        var run = await VerifyAsync(_log.KeyText);
        Assert.True(run.ExitCode == 0, run.Err);
        Assert.Equal(5ul, SeenHeadFile.Load(SeenPath)!.Seq);
    }

    [Fact]
    public async Task Verify_AnEventEditedWithoutRecomputing_FailsNamingIt()
    {
        _log.Append(4);
        _api.AuditEvents[1] = _api.AuditEvents[1] with { Subject = "other" };
        var run = await VerifyAsync(_log.KeyText);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("#2: event 2 does not match its hash", run.Err);
    }

    [Fact]
    public async Task Verify_WithoutAuditKeyInConf_TrustsTheServersKeyOnFirstUse_ThenHoldsItToThatKey()
    {
        _log.Append(2);
        var first = await VerifyAsync(auditKey: null);
        Assert.True(first.ExitCode == 0, first.Err);
        Assert.Contains("trusting the coordinator's audit key " + _log.KeyText + " on first use", first.Err);
        Assert.Equal(_log.KeyText, SeenHeadFile.Load(SeenPath)!.AuditKey);

        // A server that later signs with, and names, another key is not believed.
        using var other = Key.Create(SignatureAlgorithm.Ed25519);
        _log.SignHead(other);
        _api.VerifyResult = _api.VerifyResult with { AuditKey = MeshPorts.Contracts.Audit.AuditHeadSignature.FormatKey(other.PublicKey.Export(KeyBlobFormat.RawPublicKey)) };
        var second = await VerifyAsync(auditKey: null);
        Assert.Equal(1, second.ExitCode);
        Assert.StartsWith("meshctl: head signature does not verify", second.Err);
    }

    [Fact]
    public async Task Verify_ServerWithEventsButNoSignedHead_Fails()
    {
        _log.Append(2);
        _api.VerifyResult = _api.VerifyResult with { Head = null };
        var run = await VerifyAsync(_log.KeyText);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("no signed head covers the log", run.Err);
    }

    private async Task<(int ExitCode, string Out, string Err)> VerifyAsync(string? auditKey)
    {
        var conf = _dir.File("meshctl.conf", $"url = https://127.0.0.1:7443\npin = sha256:{Hex}\ntoken = t\n" + (auditKey is null ? "" : $"audit_key = {auditKey}\n"));
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CtlApp.RunAsync(
            ["audit", "verify"], output, error, name => name == "MESHCTL_CONFIG" ? conf : null, new FakeTimeProvider(FakeAdminApi.Now),
            CancellationToken.None, _ => _api);
        return (code, output.ToString(), error.ToString());
    }
}
