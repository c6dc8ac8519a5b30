using MeshPorts.Contracts.Grammar;
using MeshPorts.Ctl.Parsing;

namespace MeshPorts.Ctl.Api;

/// <summary>
/// The admin calls meshctl makes, in meshctl's own terms. The gRPC implementation maps them to admin.proto;
/// keeping commands off the generated types lets them be tested against a fake and keeps the JSON stable.
/// </summary>
internal interface IAdminApi
{
    Task<TokenView> CreateTokenAsync(string? name, string? user, IReadOnlyList<string> tags, TimeSpan ttl, int uses, CancellationToken cancellation);

    Task<IReadOnlyList<TokenView>> ListTokensAsync(CancellationToken cancellation);

    Task<TokenView> RevokeTokenAsync(string id, CancellationToken cancellation);

    Task<IReadOnlyList<NodeView>> ListNodesAsync(CancellationToken cancellation);

    Task<NodeView> GetNodeAsync(string name, CancellationToken cancellation);

    Task<NodeView> RemoveNodeAsync(string name, CancellationToken cancellation);

    Task<GrantView> AddGrantAsync(Subject from, PortTarget to, TimeSpan duration, string? reason, CancellationToken cancellation);

    Task<IReadOnlyList<GrantView>> ListGrantsAsync(CancellationToken cancellation);

    Task<GrantView> RevokeGrantAsync(string id, CancellationToken cancellation);

    /// <param name="node">One node, or null for every node.</param>
    Task<RotateView> RotateKeysAsync(string? node, CancellationToken cancellation);

    Task<PolicyResultView> ApplyPolicyAsync(string text, CancellationToken cancellation);

    Task<PolicyResultView> TestPolicyAsync(string text, CancellationToken cancellation);

    Task<PolicyView> ShowPolicyAsync(CancellationToken cancellation);

    Task<AccessView> CheckAccessAsync(Subject from, PortTarget to, DateTimeOffset? at, CancellationToken cancellation);

    IAsyncEnumerable<AuditEventView> AuditAsync(DateTimeOffset? since, bool follow, CancellationToken cancellation);

    /// <summary>Up to one page of events with seq &gt; <paramref name="afterSeq"/>, in seq order; empty past the end.</summary>
    Task<IReadOnlyList<AuditEventView>> ListAuditPageAsync(ulong afterSeq, CancellationToken cancellation);

    /// <summary>The server's own verdict on its chain, with its latest signed head and audit key.</summary>
    Task<AuditVerifyView> VerifyAuditAsync(CancellationToken cancellation);
}
