using System.Runtime.CompilerServices;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Ctl.Api;
using MeshPorts.Ctl.Parsing;

namespace MeshPorts.Ctl.Tests.Cli;

/// <summary>Records what meshctl asked for and answers with fixed views, so commands can be tested without a server.</summary>
internal sealed class FakeAdminApi : IAdminApi
{
    public static readonly DateTimeOffset Now = new(2026, 11, 29, 6, 0, 0, TimeSpan.Zero);

    public List<string> Calls { get; } = [];

    /// <summary>What the fake coordinator says about a denied access check.</summary>
    public string? AccessExplanation { get; set; }

    public PolicyResultView PolicyResult { get; set; } = new() { Ok = true, Applied = true, Version = "1" };

    public PolicyView Policy { get; set; } = new() { Text = "# empty\n", Version = "1" };

    /// <summary>What <see cref="AuditAsync"/> streams (audit and audit --follow).</summary>
    public IReadOnlyList<AuditEventView> StreamedAudit { get; set; } =
    [
        new AuditEventView { Seq = 1, Time = Now, Kind = "token.created" },
        new AuditEventView { Seq = 2, Time = Now, Kind = "grant.added" },
    ];

    public AuditVerifyView VerifyResult { get; set; } = new() { Ok = true, Checked = 3 };

    public Task<TokenView> CreateTokenAsync(string? name, string? user, IReadOnlyList<string> tags, TimeSpan ttl, int uses, CancellationToken cancellation)
    {
        Calls.Add($"token create name={name} user={user} tags={string.Join(",", tags)} ttl={ttl.TotalSeconds} uses={uses}");
        return Task.FromResult(new TokenView { Id = "tok1", Name = name, User = user, Tags = tags, Uses = uses, UsesLeft = uses, ExpiresAt = Now + ttl, JoinString = "mpj1_fake" });
    }

    public Task<IReadOnlyList<TokenView>> ListTokensAsync(CancellationToken cancellation)
    {
        Calls.Add("token list");
        return Task.FromResult<IReadOnlyList<TokenView>>([new TokenView { Id = "tok1", Uses = 1, UsesLeft = 1, ExpiresAt = Now }]);
    }

    public Task<TokenView> RevokeTokenAsync(string id, CancellationToken cancellation)
    {
        Calls.Add("token revoke " + id);
        return Task.FromResult(new TokenView { Id = id, Revoked = true });
    }

    public Task<IReadOnlyList<NodeView>> ListNodesAsync(CancellationToken cancellation)
    {
        Calls.Add("nodes list");
        return Task.FromResult<IReadOnlyList<NodeView>>([Node("db1")]);
    }

    /// <summary>What GetNodeAsync adds to the node (candidates, home relay, paths), as the coordinator's GetNode does.</summary>
    public Func<NodeView, NodeView>? ShownNode { get; set; }

    public Task<NodeView> GetNodeAsync(string name, CancellationToken cancellation)
    {
        Calls.Add("nodes show " + name);
        return Task.FromResult(ShownNode is null ? Node(name) : ShownNode(Node(name)));
    }

    public Task<NodeView> RemoveNodeAsync(string name, CancellationToken cancellation)
    {
        Calls.Add("nodes remove " + name);
        return Task.FromResult(Node(name));
    }

    public Task<GrantView> AddGrantAsync(Subject from, PortTarget to, TimeSpan duration, string? reason, CancellationToken cancellation)
    {
        Calls.Add($"grant add {from} {to} {duration.TotalSeconds} {reason}");
        return Task.FromResult(new GrantView { Id = "g1", From = from.ToString(), To = to.ToString(), ExpiresAt = Now + duration, Reason = reason });
    }

    public Task<IReadOnlyList<GrantView>> ListGrantsAsync(CancellationToken cancellation)
    {
        Calls.Add("grant list");
        return Task.FromResult<IReadOnlyList<GrantView>>([]);
    }

    public Task<GrantView> RevokeGrantAsync(string id, CancellationToken cancellation)
    {
        Calls.Add("grant revoke " + id);
        return Task.FromResult(new GrantView { Id = id, From = "user:a", To = "db1:5432/tcp", ExpiresAt = Now, Revoked = true });
    }

    public Task<RotateView> RotateKeysAsync(string? node, CancellationToken cancellation)
    {
        Calls.Add("keys rotate " + (node ?? "--all"));
        return Task.FromResult(new RotateView { Nodes = [node ?? "db1"] });
    }

    public Task<PolicyResultView> ApplyPolicyAsync(string text, CancellationToken cancellation)
    {
        Calls.Add("policy apply " + text.Length);
        return Task.FromResult(PolicyResult);
    }

    public Task<PolicyResultView> TestPolicyAsync(string text, CancellationToken cancellation)
    {
        Calls.Add("policy test " + text.Length);
        return Task.FromResult(PolicyResult);
    }

    public Task<PolicyView> ShowPolicyAsync(CancellationToken cancellation)
    {
        Calls.Add("policy show");
        return Task.FromResult(Policy);
    }

    public Task<AccessView> CheckAccessAsync(Subject from, PortTarget to, DateTimeOffset? at, CancellationToken cancellation)
    {
        Calls.Add($"access check {from} {to} {(at is { } t ? TimeParser.Format(t) : "-")}");
        return Task.FromResult(new AccessView { Allowed = false, From = from.ToString(), To = to.ToString(), At = at, Explanation = AccessExplanation });
    }

    public async IAsyncEnumerable<AuditEventView> AuditAsync(DateTimeOffset? since, bool follow, [EnumeratorCancellation] CancellationToken cancellation)
    {
        Calls.Add($"audit {(since is { } s ? TimeParser.Format(s) : "-")} follow={follow}");
        await Task.Yield();
        foreach (var e in StreamedAudit)
        {
            yield return e;
        }
    }

    public Task<AuditVerifyView> VerifyAuditAsync(CancellationToken cancellation)
    {
        Calls.Add("audit verify");
        var result = VerifyResult;
        if (LaterVerifyResults.Count > 0)
        {
            VerifyResult = LaterVerifyResults.Dequeue();
        }

        return Task.FromResult(result);
    }

    /// <summary>What later VerifyAudit calls answer, in turn, after the first has answered <see cref="VerifyResult"/>.</summary>
    public Queue<AuditVerifyView> LaterVerifyResults { get; } = new();

    /// <summary>The chain <see cref="ListAuditPageAsync"/> serves, in pages of <see cref="AuditPageSize"/>.</summary>
    public List<AuditEventView> AuditEvents { get; } = [];

    public int AuditPageSize { get; set; } = 2;

    public Task<IReadOnlyList<AuditEventView>> ListAuditPageAsync(ulong afterSeq, CancellationToken cancellation) =>
        Task.FromResult<IReadOnlyList<AuditEventView>>([.. AuditEvents.Where(e => e.Seq > afterSeq).OrderBy(e => e.Seq).Take(AuditPageSize)]);

    private static NodeView Node(string name) => new()
    {
        Name = name,
        OverlayIp = "100.64.0.1",
        PublicKey = "k",
        KeyExpiresAt = Now,
        Online = true,
        LastSeen = Now,
        AppliedSerial = 7,
        Tags = ["db"],
        User = "alice",
        Exposed = ["5432/tcp=postgres"],
    };
}
