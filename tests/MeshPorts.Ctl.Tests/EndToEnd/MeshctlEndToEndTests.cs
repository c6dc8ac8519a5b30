using System.Text.Json;
using MeshPorts.Contracts.Node;
using Xunit;

namespace MeshPorts.Ctl.Tests.EndToEnd;

/// <summary>The real meshctl against a real coordinator process, every command with --json.</summary>
public sealed class MeshctlEndToEndTests : IClassFixture<CoordinatorFixture>
{
    private readonly CoordinatorFixture _fx;

    public MeshctlEndToEndTests(CoordinatorFixture fx)
    {
        _fx = fx;
    }

    [Fact]
    public async Task Tokens_CreateListRevoke_RoundTrip()
    {
        var created = await JsonOk("token", "create", "--user", "alice", "--tag", "db", "--ttl", "10m", "--uses", "2");
        var id = created.GetProperty("id").GetString()!;
        Assert.StartsWith("mpj1_", created.GetProperty("joinString").GetString());
        Assert.Equal(2, created.GetProperty("uses").GetInt32());
        Assert.Equal("alice", created.GetProperty("user").GetString());
        Assert.Equal(["db"], created.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        var expires = created.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(11));

        var list = await JsonOk("token", "list");
        Assert.Contains(list.EnumerateArray(), t => t.GetProperty("id").GetString() == id);

        var revoked = await JsonOk("token", "revoke", id);
        Assert.True(revoked.GetProperty("revoked").GetBoolean());

        // Without --json the join string is the only line on stdout, ready for $(...).
        var plain = await Run("token", "create");
        Assert.Equal(0, plain.ExitCode);
        Assert.Matches("^mpj1_[A-Za-z0-9_-]+$", plain.Out.Trim());
    }

    [Fact]
    public async Task Nodes_ListShowRemove_SeeEnrolledNodes()
    {
        var join = (await JsonOk("token", "create", "--name", "web-e2e", "--user", "carol", "--tag", "web")).GetProperty("joinString").GetString()!;
        var enrolled = await TestNode.EnrollAsync(join, "web-e2e", new ExposedService { Port = 8080, Protocol = Protocol.Tcp, Name = "http" });

        var list = await JsonOk("nodes", "list");
        var node = list.EnumerateArray().Single(n => n.GetProperty("name").GetString() == enrolled.Name);
        foreach (var field in new[] { "name", "overlayIp", "publicKey", "keyExpiresAt", "online", "lastSeen", "appliedSerial", "tags", "user" })
        {
            Assert.True(node.TryGetProperty(field, out _), $"nodes list --json lacks {field}: {node}");
        }

        Assert.Equal(enrolled.OverlayIpv4, node.GetProperty("overlayIp").GetString());
        Assert.Equal("carol", node.GetProperty("user").GetString());

        var shown = await JsonOk("nodes", "show", enrolled.Name);
        Assert.Equal(["8080/tcp=http"], shown.GetProperty("exposed").EnumerateArray().Select(e => e.GetString()));

        var removed = await JsonOk("nodes", "remove", enrolled.Name);
        Assert.Equal(enrolled.Name, removed.GetProperty("name").GetString());
        var after = await JsonOk("nodes", "list");
        Assert.DoesNotContain(after.EnumerateArray(), n => n.GetProperty("name").GetString() == enrolled.Name);

        var missing = await Run("nodes", "show", enrolled.Name);
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("meshctl: ", missing.Err);
    }

    [Fact]
    public async Task Grants_AddCheckRevoke_ChangeWhatAccessCheckSays()
    {
        var db = await EnrollAsync("db-e2e", "tag-db", 5432);
        var ops = await EnrollAsync("ops-e2e", "tag-ops");

        var denied = await JsonOk("access", "check", "--from", ops, "--to", $"{db}:5432/tcp");
        Assert.False(denied.GetProperty("allowed").GetBoolean());

        var grant = await JsonOk("grant", "add", "--from", ops, "--to", $"{db}:5432/tcp", "--for", "1h", "--reason", "e2e");
        var id = grant.GetProperty("id").GetString()!;
        Assert.Equal($"{db}:5432/tcp", grant.GetProperty("to").GetString());
        Assert.InRange(grant.GetProperty("expiresAt").GetDateTimeOffset() - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(58), TimeSpan.FromMinutes(61));

        Assert.Contains((await JsonOk("grant", "list")).EnumerateArray(), g => g.GetProperty("id").GetString() == id);

        var allowed = await JsonOk("access", "check", "--from", ops, "--to", $"{db}:5432/tcp");
        Assert.True(allowed.GetProperty("allowed").GetBoolean(), allowed.ToString());
        Assert.Equal("grant:" + id, allowed.GetProperty("allowedBy").GetString());

        // After the grant ends, --at in the future finds nothing.
        var later = await JsonOk("access", "check", "--from", ops, "--to", $"{db}:5432/tcp", "--at", DateTimeOffset.UtcNow.AddHours(2).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
        Assert.False(later.GetProperty("allowed").GetBoolean());

        var revoked = await JsonOk("grant", "revoke", id);
        Assert.True(revoked.GetProperty("revoked").GetBoolean());
        Assert.False((await JsonOk("access", "check", "--from", ops, "--to", $"{db}:5432/tcp")).GetProperty("allowed").GetBoolean());

        // Over the coordinator's 24h cap: refused by the server, exit 1, nothing created.
        var tooLong = await Run("grant", "add", "--from", ops, "--to", $"{db}:5432/tcp", "--for", "48h", "--json");
        Assert.Equal(1, tooLong.ExitCode);
        Assert.StartsWith("meshctl: ", tooLong.Err);
    }

    [Fact]
    public async Task KeysRotate_NodeAndAll_NameTheNodesTold()
    {
        var node = await EnrollAsync("rot-e2e", "rot");
        var one = await JsonOk("keys", "rotate", "--node", node);
        Assert.Equal([node], one.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()));

        var all = await JsonOk("keys", "rotate", "--all");
        Assert.Contains(all.GetProperty("nodes").EnumerateArray(), n => n.GetString() == node);
    }

    [Fact]
    public async Task Policy_ApplyTestShow_RejectsAFailingTestAndChangesNothing()
    {
        await EnrollAsync("pweb-e2e", "pweb");
        await EnrollAsync("pdb-e2e", "pdb", 5432);
        using var dir = new TempDir();
        var good = dir.File("good.policy", "# e2e\nrule web-db: tag:pweb -> tag:pdb:5432/tcp\ntest allow tag:pweb -> tag:pdb:5432/tcp\ntest deny tag:pdb -> tag:pweb:22/tcp\n");
        var bad = dir.File("bad.policy", "rule web-db: tag:pweb -> tag:pdb:5432/tcp\ntest deny tag:pweb -> tag:pdb:5432/tcp\n");

        var applied = await JsonOk("policy", "apply", good);
        Assert.True(applied.GetProperty("applied").GetBoolean(), applied.ToString());

        // policy test judges a file's tests against the live state, which now holds the applied rule.
        var tested = await JsonOk("policy", "test", good);
        Assert.True(tested.GetProperty("ok").GetBoolean(), tested.ToString());
        Assert.Equal(2, tested.GetProperty("tests").GetArrayLength());
        Assert.Contains("->", tested.GetProperty("tests")[0].GetProperty("name").GetString());

        var rejected = await Run("policy", "apply", bad, "--json");
        Assert.Equal(1, rejected.ExitCode);
        Assert.Contains("nothing was changed", rejected.Err);

        var shown = await JsonOk("policy", "show");
        Assert.Equal(File.ReadAllText(good), shown.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Audit_ListFollowVerify_SeeTheChain()
    {
        await JsonOk("token", "create", "--name", "audit-probe");
        var list = await Run("audit", "--since", "1h", "--json");
        Assert.Equal(0, list.ExitCode);
        var events = list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(events, e => e.GetProperty("kind").GetString() == "token.created");
        Assert.All(events, e => Assert.False(string.IsNullOrEmpty(e.GetProperty("hash").GetString())));

        // --follow replays from --since and then waits; stop it after the first event.
        var follow = await ProcessRunnerExtensions.RunUntilFirstLineAsync(
            Binaries.Meshctl, ["audit", "--follow", "--since", "1h", "--json"], Env(), TimeSpan.FromSeconds(30));
        Assert.Contains("\"kind\"", follow);

        var verify = await JsonOk("audit", "verify");
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
        Assert.True(verify.GetProperty("checked").GetUInt64() >= (ulong)events.Count);
    }

    [Fact]
    public async Task WrongPin_IsRefusedWithTheFix()
    {
        await _fx.StartAsync();
        using var dir = new TempDir();
        var text = File.ReadAllText(_fx.ConfigPath);
        var pinLine = text.Split('\n').Single(l => l.TrimStart().StartsWith("pin", StringComparison.Ordinal));
        var wrong = dir.File("meshctl.conf", text.Replace(pinLine, "pin = sha256:" + new string('0', 64)));

        var result = await ProcessRunner.RunAsync(Binaries.Meshctl, ["nodes", "list", "--config", wrong]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("pin", result.Err);
        Assert.Single(result.Err.Trim().Split('\n'));
    }

    [Fact]
    public async Task WrongToken_IsRefusedWithTheFix()
    {
        await _fx.StartAsync();
        using var dir = new TempDir();
        var text = File.ReadAllText(_fx.ConfigPath);
        var tokenLine = text.Split('\n').Single(l => l.TrimStart().StartsWith("token", StringComparison.Ordinal));
        var wrong = dir.File("meshctl.conf", text.Replace(tokenLine, "token = mpa1_wrong"));

        var result = await ProcessRunner.RunAsync(Binaries.Meshctl, ["token", "list", "--config", wrong]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("admin credential", result.Err);
    }

    [Fact]
    public async Task GroupReadableConfig_IsRefusedNamingChmod()
    {
        await _fx.StartAsync();
        using var dir = new TempDir();
        var loose = dir.File("meshctl.conf", File.ReadAllText(_fx.ConfigPath), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        var result = await ProcessRunner.RunAsync(Binaries.Meshctl, ["nodes", "list"], new Dictionary<string, string> { ["MESHCTL_CONFIG"] = loose });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("chmod 600", result.Err);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task CoordinatorWritesAnOwnerOnlyConfig()
    {
        await _fx.StartAsync();
        var mode = File.GetUnixFileMode(_fx.ConfigPath);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode & ~UnixFileMode.UserExecute);
    }

    [Fact]
    public async Task TraceTiming_PrintsEachPhaseToStderr_OnlyWhenAsked()
    {
        var quiet = await Run("nodes", "list");
        Assert.Equal(0, quiet.ExitCode);
        Assert.DoesNotContain("timing", quiet.Err);

        var env = Env();
        env["MESHCTL_TRACE_TIMING"] = "1";
        var traced = await ProcessRunner.RunAsync(Binaries.Meshctl, ["nodes", "list"], env);
        Assert.Equal(0, traced.ExitCode);
        Assert.Equal(quiet.Out, traced.Out);
        Assert.Matches(@"^meshctl: timing startup [0-9.]+ ms, connect [0-9.]+ ms, rpc [0-9.]+ ms, output [0-9.]+ ms, total [0-9.]+ ms$", traced.Err.Trim());
    }

    private Dictionary<string, string> Env() => new() { ["MESHCTL_CONFIG"] = _fx.ConfigPath };

    private async Task<ProcessResult> Run(params string[] args)
    {
        await _fx.StartAsync();
        return await ProcessRunner.RunAsync(Binaries.Meshctl, args, Env());
    }

    private async Task<JsonElement> JsonOk(params string[] args)
    {
        var result = await Run([.. args, "--json"]);
        Assert.True(result.ExitCode == 0, $"meshctl {string.Join(' ', args)} --json: {result}\ncoordinator log:\n{_fx.Log}");
        using var doc = JsonDocument.Parse(result.Out);
        return doc.RootElement.Clone();
    }

    private async Task<string> EnrollAsync(string name, string tag, uint port = 0)
    {
        var join = (await JsonOk("token", "create", "--name", name, "--tag", tag)).GetProperty("joinString").GetString()!;
        var services = port == 0 ? [] : new[] { new ExposedService { Port = port, Protocol = Protocol.Tcp } };
        return (await TestNode.EnrollAsync(join, name, services)).Name;
    }
}
