using System.Collections.Concurrent;
using System.Security.Cryptography;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.Audit;
using MeshPorts.Coordinator.Auth;
using MeshPorts.Coordinator.Metrics;
using MeshPorts.Coordinator.Options;
using MeshPorts.Coordinator.State.Policy;
using MeshPorts.Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.State;

/// <summary>
/// Owns the rules: who is enrolled, what is allowed until when, what every node must be told, and
/// what happens when something expires. It knows nothing about gRPC. Every change is written to the
/// store first and applied in memory only after the write succeeded, all under one gate, so memory
/// never runs ahead of disk.
/// </summary>
internal sealed partial class MeshState : IDisposable
{
    private readonly IStore _store;
    private readonly AuditLog _audit;
    private readonly INetmapPublisher _publisher;
    private readonly TimeProvider _time;
    private readonly CoordinatorOptions _options;
    private readonly CoordinatorMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Uri _publicUrl;
    private readonly string _pin;
    private readonly ChallengeStore _challenges;
    private readonly FailureRateLimiter _enrollLimiter;
    private readonly DeniedFlowAggregator _flows;
    private readonly ExpiryScheduler _scheduler;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, NodeRecord> _nodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _lastSeen = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _lastDeniedReport = new(StringComparer.Ordinal);
    private readonly HashSet<(string NodeId, long ExpiresAt)> _keyExpiryAudited = [];
    private readonly Dictionary<string, PendingRotation> _rotations = new(StringComparer.Ordinal);
    private List<GrantRecord> _grants = [];
    private PolicyDocument _policy = PolicyDocument.Empty;
    private PolicyRecord? _policyRecord;
    private OverlayAddressing _addressing = new("fd00::/48");
    private volatile EnrolledDirectory _directory = EnrolledDirectory.Empty;

    public MeshState(IStore store, AuditLog audit, INetmapPublisher publisher, TimeProvider time, CoordinatorOptions options,
        CoordinatorMetrics metrics, ILogger logger, Uri publicUrl, string pin)
    {
        _store = store;
        _audit = audit;
        _publisher = publisher;
        _time = time;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _publicUrl = publicUrl;
        _pin = pin;
        _challenges = new ChallengeStore(time, options.NonceLifetime, options.NoncesPerMachineKey, options.NoncesPerSource, options.MaxLiveNonces);
        _enrollLimiter = new FailureRateLimiter(options.MaxEnrollFailures, options.EnrollFailureWindow, options.MaxEnrollFailureSources);
        _flows = new DeniedFlowAggregator(options.ProbeAlertThreshold, options.ProbeAlertWindow, options.MaxProbeSources, options.MaxProbeTargetsPerSource);
        _scheduler = new ExpiryScheduler(time, () => _ = OnDeadlineAsync());
        metrics.NodeCount = () => _nodes.Count;
        metrics.LiveNonces = () => _challenges.Count;
    }

    public string Ipv6Prefix => _addressing.Ipv6Prefix;

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var ula = await _store.Settings.GetOrAddAsync("ula_prefix", OverlayAddressing.NewUlaPrefix(), cancellationToken);
            _addressing = new OverlayAddressing(ula);
            foreach (var node in await _store.Nodes.ListAsync(cancellationToken))
            {
                _nodes[node.Id] = node;
                _publisher.Seed(node.Id, node.LatestSerial);
            }

            _grants = [.. await _store.Grants.ListAsync(cancellationToken)];
            _policyRecord = await _store.Policies.GetCurrentAsync(cancellationToken);
            if (_policyRecord is not null)
            {
                _policy = PolicyParser.Parse(_policyRecord.Text, []);
            }

            await RecomputeLockedAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }

        // Anything that ended while the coordinator was down is audited and pushed now.
        await OnDeadlineAsync();
    }

    /// <summary>Recomputes every netmap, publishes the differences, persists serials and re-arms the timer.</summary>
    private async Task<IReadOnlyDictionary<string, ulong>> RecomputeLockedAsync(CancellationToken cancellationToken)
    {
        var now = Now;
        _directory = EnrolledDirectory.Build(_nodes.Values, _addressing);
        var views = NetmapBuilder.Build(_nodes.Values, _policy.Rules, _grants, _addressing, now);
        var changed = _publisher.Publish(views);
        await _store.Nodes.UpdateLatestSerialsAsync(changed, cancellationToken);
        _scheduler.Arm(NextDeadline(now));
        return changed;
    }

    private long? NextDeadline(long now)
    {
        long? next = null;
        foreach (var g in _grants)
        {
            if (AccessEvaluator.IsGrantActive(g, now) || (g.CreatedAt > now && g.RevokedAt is null))
            {
                next = next is null ? g.ExpiresAt : Math.Min(next.Value, g.ExpiresAt);
            }
        }

        foreach (var n in _nodes.Values)
        {
            if (n.KeyExpiresAt > now)
            {
                next = next is null ? n.KeyExpiresAt : Math.Min(next.Value, n.KeyExpiresAt);
            }
        }

        return next;
    }

    /// <summary>Runs when the earliest deadline passes: audits what ended and pushes the deltas.</summary>
    private async Task OnDeadlineAsync()
    {
        try
        {
            await _gate.WaitAsync();
            try
            {
                var now = Now;
                var expiredGrants = _grants.Where(g => !g.ExpiryAudited && g.RevokedAt is null && g.ExpiresAt <= now).ToList();
                foreach (var g in expiredGrants)
                {
                    await _audit.AppendAsync("grant.expired", "scheduler", g.Id, "ok",
                        new { from = g.Subject.ToString(), to = g.Target.ToString(), port = g.Port, protocol = g.Protocol.ToText(), expiresAt = g.ExpiresAt });
                }

                if (expiredGrants.Count > 0)
                {
                    await _store.Grants.MarkExpiryAuditedAsync(expiredGrants.Select(g => g.Id).ToList(), CancellationToken.None);
                    var ids = expiredGrants.Select(g => g.Id).ToHashSet(StringComparer.Ordinal);
                    _grants = _grants.Select(g => ids.Contains(g.Id) ? g with { ExpiryAudited = true } : g).ToList();
                }

                var expiredKeys = _nodes.Values.Where(n => n.KeyExpiresAt <= now && _keyExpiryAudited.Add((n.Id, n.KeyExpiresAt))).ToList();
                foreach (var n in expiredKeys)
                {
                    await _audit.AppendAsync("key.expired", "scheduler", n.Name, "ok",
                        new { publicKey = Convert.ToBase64String(n.WireGuardKey), expiresAt = n.KeyExpiresAt });
                }

                if (expiredGrants.Count + expiredKeys.Count > 0)
                {
                    StateLog.Expired(_logger, now, expiredGrants.Count, expiredKeys.Count);
                }

                await RecomputeLockedAsync(CancellationToken.None);
            }
            finally
            {
                _gate.Release();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            StateLog.ExpiryFailed(_logger, ex);
        }
    }

    private static string NewId(string prefix, int bytes) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));

    private NodeRecord? FindByName(string name) => _nodes.Values.FirstOrDefault(n => n.Name == name);

    private NodeRecord RequireByName(string name) =>
        FindByName(name) ?? throw new StateException(StateError.NotFound, $"no node named '{name}'", next: new NextStep(NextStepKind.ListNodes));

    public void Dispose()
    {
        _scheduler.Dispose();
        _gate.Dispose();
    }
}
