using MeshPorts.Coordinator.Audit;
using MeshPorts.Coordinator.Metrics;
using MeshPorts.Coordinator.Options;
using MeshPorts.Coordinator.State.Access;
using MeshPorts.Coordinator.State.Endpoints;
using MeshPorts.Coordinator.State.Enrollment;
using MeshPorts.Coordinator.State.Netmaps;
using MeshPorts.Coordinator.State.Policy;
using MeshPorts.Coordinator.State.Replication;
using MeshPorts.Coordinator.State.Rotation;
using MeshPorts.Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.State;

/// <summary>
/// Owns the rules: who is enrolled, what is allowed until when, what every node must be told, and what happens
/// when something expires. It knows nothing about gRPC or any command line; the services call its collaborators.
/// <para>
/// THE CONCURRENCY RULE. All mutable mesh data (nodes, grants, policy, pending rotations, audited expiries)
/// lives in one <see cref="MeshModel"/> and is read or written only while holding <see cref="MeshModel.Gate"/>,
/// one SemaphoreSlim that is never re-entered. A change writes the store first, then memory, then recomputes and
/// publishes the netmaps, all under the gate, so memory never runs ahead of disk and nodes see changes in the
/// order they were made. The collaborators' public methods take the gate themselves and may be called from any
/// thread, never while holding it; methods named <c>*Locked</c> expect the caller to hold it, and are the only
/// gated way one collaborator calls into another. Needing no gate, and only these: join tokens, which live in the
/// store alone (a token decision that depends on the nodes, a name or an enrollment, is taken under the gate);
/// each node's reported endpoints, read by a call-me (written under the gate); audit appends and feed messages that follow a change (AuditLog and the feeds order their own writes); the
/// <see cref="MeshModel.Directory"/> and <see cref="MeshModel.PolicyRecord"/> snapshots and the addressing,
/// which are replaced whole or set once at start; last-seen times and denied-report slots (concurrent
/// dictionaries); and the challenge store, enrollment limiter and probe aggregator, which lock themselves.
/// </para>
/// </summary>
internal sealed class MeshState : IDisposable
{
    private readonly MeshContext _ctx;
    private readonly MeshModel _model = new();
    private readonly NetmapRecompute _recompute;

    public MeshState(IStore store, AuditLog audit, INetmapPublisher publisher, TimeProvider time, CoordinatorOptions options,
        CoordinatorMetrics metrics, ILogger logger, IReadOnlyList<Uri> publicUrls, string pin)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _ctx = new MeshContext(store, audit, publisher, time, options, metrics, logger);
        _recompute = new NetmapRecompute(_ctx, _model);
        Rotation = new KeyRotation(_ctx, _model, _recompute);
        Nodes = new NodeRegistry(_ctx, _model, _recompute, Rotation);
        Tokens = new TokenIssuer(_ctx, _model, publicUrls, pin);
        Enrollment = new NodeEnroller(_ctx, _model, _recompute);
        Authentication = new NodeAuthenticator(_ctx, _model, Nodes);
        Grants = new GrantControl(_ctx, _model, _recompute);
        Policy = new PolicyControl(_ctx, _model, _recompute);
        DeniedFlows = new DeniedFlowReports(_ctx, _model);
        Endpoints = new EndpointReports(_ctx, _model, _recompute);
        metrics.NodeCount = () => _model.Nodes.Count;
        metrics.LiveNonces = () => Authentication.LiveNonces;
    }

    /// <summary>Join tokens: create, list, revoke.</summary>
    public TokenIssuer Tokens { get; }

    /// <summary>Turning a join token into an enrolled node.</summary>
    public NodeEnroller Enrollment { get; }

    /// <summary>Challenges and signed node calls.</summary>
    public NodeAuthenticator Authentication { get; }

    /// <summary>The enrolled nodes: list, show, remove, acks, last seen.</summary>
    public NodeRegistry Nodes { get; }

    /// <summary>Grants and access checks.</summary>
    public GrantControl Grants { get; }

    /// <summary>The policy file: test, apply, show.</summary>
    public PolicyControl Policy { get; }

    /// <summary>Denied-flow reports and probe alerts.</summary>
    public DeniedFlowReports DeniedFlows { get; }

    /// <summary>Where nodes say they can be reached, and call-me requests between peers.</summary>
    public EndpointReports Endpoints { get; }

    /// <summary>Key rotation, asked for by admins and done by nodes.</summary>
    public KeyRotation Rotation { get; }

    public string Ipv6Prefix => _model.Addressing.Ipv6Prefix;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            var ula = await _ctx.Store.Settings.GetOrAddAsync("ula_prefix", OverlayAddressing.NewUlaPrefix(), cancellationToken);
            _model.Addressing = new OverlayAddressing(ula);
            await LoadFromStoreLockedAsync(cancellationToken);
        }
        finally
        {
            _model.Gate.Release();
        }

        // Anything that ended while the coordinator was down is audited and pushed now.
        await _recompute.OnDeadlineAsync();
    }

    /// <summary>
    /// Reloads nodes, grants, policy and rotation bookkeeping from the store after another coordinator changed
    /// them, then recomputes and publishes: nodes watching here see that change as they would one made here.
    /// </summary>
    public async Task SyncFromStoreAsync(CancellationToken cancellationToken)
    {
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            await LoadFromStoreLockedAsync(cancellationToken);
        }
        finally
        {
            _model.Gate.Release();
        }
    }

    /// <summary>
    /// Every node's view as <see cref="NetmapBuilder.Build"/> computes it from scratch now: the specification the
    /// published netmaps must equal. For checks (tests, benchmarks), never on a request path: it costs rules × nodes².
    /// </summary>
    public async Task<List<NodeView>> ReferenceNetmapsAsync(CancellationToken cancellationToken)
    {
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            return NetmapBuilder.Build(_model.Nodes.Values, _model.Policy.Rules, _model.Grants, _model.Addressing, _ctx.Now, _model.Reported);
        }
        finally
        {
            _model.Gate.Release();
        }
    }

    // Nodes, grants, policy and rotation waits as the store holds them, then the netmaps recomputed: every one at
    // start (memory empty) and after a policy change; after another coordinator's change only those its
    // differences can alter (nodes it removed lose their feed here too).
    private async Task LoadFromStoreLockedAsync(CancellationToken cancellationToken)
    {
        var before = new Dictionary<string, NodeRecord>(_model.Nodes, StringComparer.Ordinal);
        var grantsBefore = _model.Grants;
        var nodes = await _ctx.Store.Nodes.ListAsync(cancellationToken);
        var grants = await _ctx.Store.Grants.ListAsync(cancellationToken);
        var policy = await _ctx.Store.Policies.GetCurrentAsync(cancellationToken);
        _model.Nodes.Clear();
        foreach (var node in nodes)
        {
            _model.Nodes[node.Id] = node;
            _ctx.Publisher.Seed(node.Id);
        }

        foreach (var gone in before.Keys.Where(id => !_model.Nodes.ContainsKey(id)))
        {
            _model.Reported.TryRemove(gone, out _);
            _ctx.Publisher.Disconnect(gone);
        }

        _model.Grants = [.. grants];
        if (policy?.Sha256 != _model.PolicyRecord?.Sha256)
        {
            _model.PolicyRecord = policy;
            _model.Policy = policy is null ? PolicyDocument.Empty : PolicyParser.Parse(policy.Text, []);
            _recompute.RecomputeAllLocked();
        }
        else
        {
            // At start the views are not built yet, and this computes them all.
            _recompute.RecomputeLocked(StoreDiff.Between(before, _model.Nodes, grantsBefore, _model.Grants));
        }

        await Rotation.ReloadLockedAsync(before, cancellationToken);
    }

    public void Dispose()
    {
        _recompute.Dispose();
        _model.Dispose();
    }
}
