using Grpc.Net.Client;
using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Parsing;

namespace MeshPorts.Ctl.Api;

/// <summary>Placeholder until admin.proto lands.</summary>
internal sealed class GrpcAdminApi(GrpcChannel channel) : IAdminApi
{
    private readonly GrpcChannel _channel = channel;

    private CtlException NotYet() => new($"admin API not available yet ({_channel.Target})");

    public Task<TokenView> CreateTokenAsync(string? name, string? user, IReadOnlyList<string> tags, TimeSpan ttl, int uses, CancellationToken cancellation) => throw NotYet();
    public Task<IReadOnlyList<TokenView>> ListTokensAsync(CancellationToken cancellation) => throw NotYet();
    public Task<TokenView> RevokeTokenAsync(string id, CancellationToken cancellation) => throw NotYet();
    public Task<IReadOnlyList<NodeView>> ListNodesAsync(CancellationToken cancellation) => throw NotYet();
    public Task<NodeView> GetNodeAsync(string name, CancellationToken cancellation) => throw NotYet();
    public Task<NodeView> RemoveNodeAsync(string name, CancellationToken cancellation) => throw NotYet();
    public Task<GrantView> AddGrantAsync(Subject from, PortTarget to, TimeSpan duration, string? reason, CancellationToken cancellation) => throw NotYet();
    public Task<IReadOnlyList<GrantView>> ListGrantsAsync(CancellationToken cancellation) => throw NotYet();
    public Task<GrantView> RevokeGrantAsync(string id, CancellationToken cancellation) => throw NotYet();
    public Task<RotateView> RotateKeysAsync(string? node, CancellationToken cancellation) => throw NotYet();
    public Task<PolicyResultView> ApplyPolicyAsync(string text, CancellationToken cancellation) => throw NotYet();
    public Task<PolicyResultView> TestPolicyAsync(string text, CancellationToken cancellation) => throw NotYet();
    public Task<PolicyView> ShowPolicyAsync(CancellationToken cancellation) => throw NotYet();
    public Task<AccessView> CheckAccessAsync(Subject from, PortTarget to, DateTimeOffset? at, CancellationToken cancellation) => throw NotYet();
    public IAsyncEnumerable<AuditEventView> AuditAsync(DateTimeOffset? since, bool follow, CancellationToken cancellation) => throw NotYet();
    public Task<AuditVerifyView> VerifyAuditAsync(CancellationToken cancellation) => throw NotYet();
}
