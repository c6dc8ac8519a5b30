using System.Text.Json;
using MeshPorts.Ctl.Api;
using Xunit;

namespace MeshPorts.Ctl.Tests.Cli;

public class CtlAppTests
{
    [Theory]
    [InlineData("grant add --to db1:5432/tcp --for 1h", "--from is required")]
    [InlineData("grant add --from user:alice --for 1h", "--to is required")]
    [InlineData("grant add --from user:alice --to db1:5432/tcp", "--for is required")]
    [InlineData("grant add --from user:alice --to db1:5432/tcp --for forever", "90s, 10m, 1h, 24h")]
    [InlineData("grant add --from group:ops --to db1:5432/tcp --for 1h", "user:NAME or tag:NAME")]
    [InlineData("grant add --from user:alice --to db1:5432 --for 1h", "add /tcp or /udp")]
    [InlineData("grant add --from user:alice --to db1:5432/tcp --for 1h --for 2h", "give it once")]
    [InlineData("grant revoke", "missing ID")]
    [InlineData("grant revoke a b", "unexpected argument 'b'")]
    [InlineData("token create --ttl 0s", "longer than zero")]
    [InlineData("token create --uses 0", "--uses")]
    [InlineData("token create --tag Bad!", "not a tag")]
    [InlineData("token create --name", "needs a value")]
    [InlineData("token create --bogus", "unknown option '--bogus'")]
    [InlineData("keys rotate", "--node NAME' or 'meshctl keys rotate --all")]
    [InlineData("keys rotate --node db1 --all", "not both")]
    [InlineData("access check --from user:a --to db1:22/tcp --at tomorrow", "RFC 3339")]
    [InlineData("audit --since lately", "RFC 3339")]
    [InlineData("audit --json=yes", "takes no value")]
    [InlineData("audit --type Grant", "e.g. --type grant.added,grant.ended")]
    [InlineData("audit --type grant.added,,grant.ended", "e.g. --type grant.added,grant.ended")]
    [InlineData("audit --type", "needs a value")]
    [InlineData("nodes show Bad_Name", "not a node name")]
    [InlineData("node list", "did you mean 'nodes'")]
    [InlineData("grant", "needs a subcommand")]
    [InlineData("grant frobnicate", "unknown subcommand")]
    [InlineData("policy apply /nonexistent/policy.txt", "does not exist")]
    public async Task BadInput_ExitsTwoWithOneLineThatNamesTheFix(string commandLine, string fix)
    {
        var api = new FakeAdminApi();
        var run = await CtlRun.RunAsync(api, commandLine.Split(' '));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(fix, run.Err);
        Assert.StartsWith("meshctl: ", run.Err);
        Assert.Single(run.Err.TrimEnd().Split('\n'));
        Assert.Empty(api.Calls);
    }

    [Fact]
    public async Task NoArguments_PrintsUsageAndExitsTwo()
    {
        var run = await CtlRun.RunAsync(new FakeAdminApi());
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("grant add --from SUBJECT", run.Err);
    }

    [Fact]
    public async Task CommandHelp_ExitsZeroWithoutCallingTheServer()
    {
        var api = new FakeAdminApi();
        var run = await CtlRun.RunAsync(api, "grant", "add", "--help");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Usage: meshctl grant add --from SUBJECT", run.Out);
        Assert.Empty(api.Calls);
    }

    [Theory]
    [InlineData("grant", "grant add --from SUBJECT", "grant list", "grant revoke ID")]
    [InlineData("token", "token create [--name NAME]", "token list", "token revoke ID")]
    [InlineData("nodes", "nodes list", "nodes show NAME", "nodes remove NAME")]
    [InlineData("keys", "keys rotate (--node NAME | --all)", "keys rotate", "keys rotate")]
    [InlineData("policy", "policy apply FILE", "policy test FILE", "policy show")]
    [InlineData("access", "access check --from SUBJECT", "--at TIME", "access check")]
    [InlineData("audit", "audit [--follow] [--since TIME]", "audit verify", "--since TIME")]
    public async Task GroupHelp_PrintsItsSubcommandsHelpAndExitsZero(string group, string first, string second, string third)
    {
        foreach (var help in new[] { "--help", "-h" })
        {
            var api = new FakeAdminApi();
            var run = await CtlRun.RunAsync(api, group, help);

            Assert.Equal(0, run.ExitCode);
            Assert.Empty(run.Err);
            Assert.Contains("Usage: meshctl " + first, run.Out, StringComparison.Ordinal);
            Assert.Contains(second, run.Out, StringComparison.Ordinal);
            Assert.Contains(third, run.Out, StringComparison.Ordinal);
            Assert.Contains("Exit codes", run.Out, StringComparison.Ordinal);
            Assert.Empty(api.Calls);
        }
    }

    [Fact]
    public async Task PolicyShow_WithNoPolicyApplied_SaysSoInOneLine()
    {
        var api = new FakeAdminApi { Policy = new PolicyView { Text = string.Empty } };

        var run = await CtlRun.RunAsync(api, "policy", "show");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("no policy applied; apply one with 'meshctl policy apply FILE'", run.Out.TrimEnd());
    }

    [Fact]
    public async Task PolicyShow_WithNoPolicyApplied_Json_SaysAppliedFalse()
    {
        var api = new FakeAdminApi { Policy = new PolicyView { Text = string.Empty } };

        var run = await CtlRun.RunAsync(api, "policy", "show", "--json");

        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        Assert.False(doc.RootElement.GetProperty("applied").GetBoolean());
    }

    [Fact]
    public async Task PolicyShow_WithAPolicy_PrintsItsText_AndJsonSaysAppliedTrue()
    {
        var api = new FakeAdminApi { Policy = new PolicyView { Text = "allow tag:ops -> tag:db:5432/tcp\n", Version = "abc", AppliedAt = FakeAdminApi.Now } };

        var text = await CtlRun.RunAsync(api, "policy", "show");
        var json = await CtlRun.RunAsync(api, "policy", "show", "--json");

        Assert.Equal("allow tag:ops -> tag:db:5432/tcp\n", text.Out);
        using var doc = JsonDocument.Parse(json.Out);
        Assert.True(doc.RootElement.GetProperty("applied").GetBoolean());
    }

    [Fact]
    public async Task GrantAdd_ParsesEveryPartAndPrintsCamelCaseJson()
    {
        var api = new FakeAdminApi();
        var run = await CtlRun.RunAsync(api, "grant", "add", "--from", "user:alice", "--to=tag:db:5432/TCP", "--for", "90m", "--reason", "incident 42", "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["grant add user:alice tag:db:5432/tcp 5400 incident 42"], api.Calls);
        using var doc = JsonDocument.Parse(run.Out);
        Assert.Equal("g1", doc.RootElement.GetProperty("id").GetString());
        Assert.Equal("2026-11-29T07:30:00Z", doc.RootElement.GetProperty("expiresAt").GetString());
        Assert.Equal("tag:db:5432/tcp", doc.RootElement.GetProperty("to").GetString());
    }

    [Fact]
    public async Task TokenCreate_Defaults_AreOneUseAndOneHour_AndPrintOnlyTheJoinString()
    {
        var api = new FakeAdminApi();
        var run = await CtlRun.RunAsync(api, "token", "create", "--tag", "db", "--tag", "tag:web", "--user", "alice");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["token create name= user=alice tags=db,web ttl=3600 uses=1"], api.Calls);
        Assert.Equal("mpj1_fake", run.Out.Trim());
    }

    [Fact]
    public async Task NodesList_Json_HasTheProductFields()
    {
        var run = await CtlRun.RunAsync(new FakeAdminApi(), "nodes", "list", "--json");

        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        var node = doc.RootElement[0];
        foreach (var field in new[] { "name", "overlayIp", "publicKey", "keyExpiresAt", "online", "lastSeen", "appliedSerial", "tags", "user" })
        {
            Assert.True(node.TryGetProperty(field, out _), $"nodes list --json lacks '{field}'");
        }
    }

    [Fact]
    public async Task AccessCheck_At_IsPassedAsUtc()
    {
        var api = new FakeAdminApi();
        var run = await CtlRun.RunAsync(api, "access", "check", "--from", "tag:ci", "--to", "db1:5432/tcp", "--at", "2026-11-30T02:00:00+02:00");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["access check tag:ci db1:5432/tcp 2026-11-30T00:00:00Z"], api.Calls);
        Assert.StartsWith("denied:", run.Out);
    }

    [Fact]
    public async Task AuditJson_IsOneObjectPerLine()
    {
        var api = new FakeAdminApi();
        var run = await CtlRun.RunAsync(api, "audit", "--since", "1h", "--json");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["audit 2026-11-29T05:00:00Z follow=False"], api.Calls);
        var lines = run.Out.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Equal("grant.added", JsonDocument.Parse(lines[1]).RootElement.GetProperty("kind").GetString());
    }

    private static FakeAdminApi WithMixedAudit() => new()
    {
        StreamedAudit =
        [
            new AuditEventView { Seq = 1, Time = FakeAdminApi.Now, Kind = "token.created" },
            new AuditEventView { Seq = 2, Time = FakeAdminApi.Now, Kind = "grant.added" },
            new AuditEventView { Seq = 3, Time = FakeAdminApi.Now, Kind = "delta.acked" },
            new AuditEventView { Seq = 4, Time = FakeAdminApi.Now, Kind = "grant.ended" },
            new AuditEventView { Seq = 5, Time = FakeAdminApi.Now, Kind = "delta.acked" },
        ],
    };

    [Fact]
    public async Task AuditType_CommaSeparated_KeepsOnlyThoseKinds()
    {
        var api = WithMixedAudit();

        var run = await CtlRun.RunAsync(api, "audit", "--type", "grant.added,grant.ended", "--since", "1h");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["audit 2026-11-29T05:00:00Z follow=False"], api.Calls);
        var lines = run.Out.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Contains("#2  grant.added", lines[0], StringComparison.Ordinal);
        Assert.Contains("#4  grant.ended", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditType_Repeated_WorksWithFollowAndJson()
    {
        var api = WithMixedAudit();

        var run = await CtlRun.RunAsync(api, "audit", "--type", "grant.added", "--type=GRANT.ENDED", "--follow", "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["audit - follow=True"], api.Calls);
        var kinds = run.Out.Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement.GetProperty("kind").GetString());
        Assert.Equal(["grant.added", "grant.ended"], kinds);
    }

    [Fact]
    public async Task AuditHelp_DescribesType()
    {
        var run = await CtlRun.RunAsync(new FakeAdminApi(), "audit", "--help");

        Assert.Contains("--type KIND[,KIND]", run.Out, StringComparison.Ordinal);
        Assert.Contains("--type", CommandTableUsage(), StringComparison.Ordinal);
    }

    private static string CommandTableUsage() => MeshPorts.Ctl.Commands.CommandTable.Usage;

    [Fact]
    public async Task AuditVerify_BrokenChain_ExitsOneNamingTheEntry()
    {
        var api = new FakeAdminApi { VerifyResult = new AuditVerifyView { Ok = false, Checked = 9, FirstBadSeq = 5, Problem = "event 5 was edited" } };
        var run = await CtlRun.RunAsync(api, "audit", "verify", "--json");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("#5", run.Err);
        Assert.False(JsonDocument.Parse(run.Out).RootElement.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task PolicyApply_Errors_ArePrintedOnceEach()
    {
        using var dir = new TempDir();
        var file = dir.File("policy.txt", "rule x tag:ci\n");
        var api = new FakeAdminApi
        {
            PolicyResult = new PolicyResultView { Ok = false, Errors = ["line 1: expected 'rule NAME: FROM -> TARGET:PORT/PROTO'"] },
        };

        var run = await CtlRun.RunAsync(api, "policy", "apply", file);

        Assert.Equal(1, run.ExitCode);
        Assert.Single(Lines(run.Out + run.Err), l => l.Contains("expected 'rule NAME", StringComparison.Ordinal));
        Assert.Contains("1 error", run.Err, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodesShow_ListsExposedPorts()
    {
        var run = await CtlRun.RunAsync(new FakeAdminApi(), "nodes", "show", "db1");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("exposed:        5432/tcp=postgres", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodesShow_PrintsCandidatesHomeRelayAndAPathPerPeer_AndJsonHasThem()
    {
        var api = new FakeAdminApi
        {
            ShownNode = n => n with
            {
                Candidates = ["198.51.100.7:51820", "10.0.0.5:51820"],
                HomeRelay = "coordinator",
                Paths =
                [
                    new NodePathView { Peer = "laptop", Path = "direct", Endpoint = "203.0.113.9:41641", RttMs = 12.4 },
                    new NodePathView { Peer = "ci", Path = "relay-tls", Endpoint = "coordinator" },
                ],
            },
        };

        var text = await CtlRun.RunAsync(api, "nodes", "show", "db1");
        var json = await CtlRun.RunAsync(api, "nodes", "show", "db1", "--json");

        Assert.Contains("candidates:     198.51.100.7:51820,10.0.0.5:51820", text.Out, StringComparison.Ordinal);
        Assert.Contains("home relay:     coordinator", text.Out, StringComparison.Ordinal);
        var rows = Lines(text.Out).SkipWhile(l => l != "paths:").Skip(1).ToArray();
        Assert.Equal(3, rows.Length);
        Assert.Equal(["PEER", "PATH", "ENDPOINT", "RTT"], rows[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["laptop", "direct", "203.0.113.9:41641", "12.4", "ms"], rows[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["ci", "relay-tls", "coordinator", "-"], rows[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));

        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal("coordinator", doc.RootElement.GetProperty("homeRelay").GetString());
        Assert.Equal(2, doc.RootElement.GetProperty("candidates").GetArrayLength());
        var path = doc.RootElement.GetProperty("paths")[0];
        Assert.Equal("laptop", path.GetProperty("peer").GetString());
        Assert.Equal(12.4, path.GetProperty("rttMs").GetDouble());
    }

    [Fact]
    public async Task NodesShow_OfANodeThatHasNotReported_SaysNoPaths()
    {
        var api = new FakeAdminApi { ShownNode = n => n with { Candidates = [] } };
        var run = await CtlRun.RunAsync(api, "nodes", "show", "db1");
        Assert.Contains("candidates:     -", run.Out, StringComparison.Ordinal);
        Assert.Contains("paths:          -", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessCheck_Denied_SaysWhyOnce()
    {
        var api = new FakeAdminApi { AccessExplanation = "no rule or active grant lets user:bob reach db1:5432/tcp" };

        var run = await CtlRun.RunAsync(api, "access", "check", "--from", "user:bob", "--to", "db1:5432/tcp");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("denied: no rule or active grant lets user:bob reach db1:5432/tcp", run.Out.Trim());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task PolicyApply_FailingTest_ExitsOneAndSaysNothingChanged()
    {
        using var dir = new TempDir();
        var file = dir.File("policy.txt", "allow tag:ci -> tag:db:5432/tcp\n");
        var api = new FakeAdminApi
        {
            PolicyResult = new PolicyResultView { Ok = false, Tests = [new PolicyTestResultView { Name = "ci-cannot-ssh", Passed = false, Message = "allowed by rule x" }] },
        };

        var run = await CtlRun.RunAsync(api, "policy", "apply", file);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("ci-cannot-ssh", run.Err);
        Assert.Contains("nothing was changed", run.Err);
        Assert.Contains("FAIL", run.Out);
    }

    [Fact]
    public async Task RealApi_WithoutConfig_ExitsOneNamingWhereItLooked()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await MeshPorts.Ctl.Cli.CtlApp.RunAsync(
            ["nodes", "list"], output, error, name => name == "HOME" ? "/nonexistent-home" : null, TimeProvider.System, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Contains("/nonexistent-home/.config/meshports/meshctl.conf", error.ToString());
        Assert.Contains("--config", error.ToString());
    }
}
