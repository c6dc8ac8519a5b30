using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.State.Access;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Netmaps;

/// <summary>
/// Recomputes the netmaps a change touches (every node's for a policy change and at start; after a replica's
/// change what its differences touch; see <see cref="NetmapViews"/>), publishes the differences to the feeds, and keeps
/// the expiry timer armed for the next moment a grant or key ends. Recomputing needs the gate held
/// (see <see cref="MeshState"/>); the timer's callback takes it itself.
/// </summary>
internal sealed class NetmapRecompute : IDisposable
{
    private readonly MeshContext _ctx;
    private readonly MeshModel _model;
    private readonly ExpiryScheduler _scheduler;
    private readonly NetmapViews _views = new();

    public NetmapRecompute(MeshContext ctx, MeshModel model)
    {
        _ctx = ctx;
        _model = model;
        _scheduler = new ExpiryScheduler(ctx.Time, () => _ = OnDeadlineAsync());
    }

    /// <summary>The node's view right now, for reads under the gate (no publishing).</summary>
    public NodeView ViewLocked(NodeRecord node) => _views.View(node, _model, _ctx.Now);

    /// <summary>
    /// The nodes whose last published netmap holds <paramref name="nodeId"/>: the peers in its own (seeing is mutual),
    /// without asking every feed.
    /// </summary>
    public IReadOnlyCollection<string> SeeingLocked(string nodeId) => _views.Seeing(nodeId);

    /// <summary>
    /// Recomputes every netmap, publishes the differences and re-arms the timer: at start and when the policy
    /// changes (here or on another replica).
    /// </summary>
    public IReadOnlyDictionary<string, ulong> RecomputeAllLocked()
    {
        var now = _ctx.Now;
        _model.Directory = EnrolledDirectory.Build(_model.Nodes.Values, _model.Addressing);
        return PublishLocked(_views.Full(_model, now), now);
    }

    /// <summary>
    /// Recomputes only the netmaps <paramref name="change"/> (and the time since the last recompute) can alter,
    /// publishes their differences and re-arms the timer.
    /// </summary>
    public IReadOnlyDictionary<string, ulong> RecomputeLocked(NetmapChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var now = _ctx.Now;
        if (change.Records)
        {
            _model.Directory = EnrolledDirectory.Build(_model.Nodes.Values, _model.Addressing);
        }

        return PublishLocked(_views.Apply(change, _model, now), now);
    }

    private IReadOnlyDictionary<string, ulong> PublishLocked(List<NodeView> views, long now)
    {
        _ctx.Metrics.ViewsBuilt(views.Count);
        var changed = _ctx.Publisher.Publish(views);
        // The earliest key expiry or grant start or end still ahead (a grant made by a replica whose clock is a
        // little ahead starts when this clock gets there).
        _scheduler.Arm(_views.NextDeadline(now));
        return changed;
    }

    /// <summary>Runs when the earliest deadline passes: audits what ended and pushes the deltas.</summary>
    public async Task OnDeadlineAsync()
    {
        try
        {
            await _model.Gate.WaitAsync();
            try
            {
                var now = _ctx.Now;
                var expiredGrants = await AuditGrantExpiryLockedAsync(now);
                var expiredKeys = await AuditKeyExpiryLockedAsync(now);
                if (expiredGrants.Count + expiredKeys.Count > 0)
                {
                    StateLog.Expired(_ctx.Logger, now, expiredGrants.Count, expiredKeys.Count);
                }

                // What ended is found by the recompute itself: the grants and keys whose state differs from the last one.
                RecomputeLocked(NetmapChange.Clock);
            }
            finally
            {
                _model.Gate.Release();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            StateLog.ExpiryFailed(_ctx.Logger, ex);
        }
    }

    // Each end is audited by whichever writer marks it first in the store (the mark is conditional and in the
    // events' transaction), so two replicas, or one restarted mid-way, never audit an end twice or lose it.
    private async Task<IReadOnlyList<string>> AuditGrantExpiryLockedAsync(long now)
    {
        var expired = _model.Grants.Where(g => !g.ExpiryAudited && g.RevokedAt is null && g.ExpiresAt <= now).ToList();
        if (expired.Count == 0)
        {
            return [];
        }

        var audit = _ctx.Audit.Events();
        foreach (var g in expired)
        {
            audit.And("grant.expired", "scheduler", g.Id, "ok",
                new { from = g.Subject.ToString(), to = g.Target.ToString(), port = g.Port, protocol = g.Protocol.ToText(), expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(g.ExpiresAt) });
        }

        var marked = await _ctx.Store.Grants.MarkExpiryAuditedAsync(expired.Select(g => g.Id).ToList(), audit, CancellationToken.None);

        // Marked by this call or already by another writer: either way the end is in the log.
        var ids = expired.Select(g => g.Id).ToHashSet(StringComparer.Ordinal);
        _model.Grants = _model.Grants.Select(g => ids.Contains(g.Id) ? g with { ExpiryAudited = true } : g).ToList();
        return marked;
    }

    private async Task<IReadOnlyList<string>> AuditKeyExpiryLockedAsync(long now)
    {
        var expired = _model.Nodes.Values.Where(n => !n.KeyExpiryAudited && n.KeyExpiresAt <= now).ToList();
        if (expired.Count == 0)
        {
            return [];
        }

        var audit = _ctx.Audit.Events();
        foreach (var n in expired)
        {
            audit.And("key.expired", "scheduler", n.Name, "ok",
                new { publicKey = Convert.ToBase64String(n.WireGuardKey), expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(n.KeyExpiresAt) });
        }

        var marked = await _ctx.Store.Nodes.MarkKeyExpiryAuditedAsync(expired.Select(n => (n.Id, n.KeyExpiresAt)).ToList(), audit, CancellationToken.None);
        foreach (var n in expired)
        {
            _model.Nodes[n.Id] = n with { KeyExpiryAudited = true };
        }

        return marked;
    }

    public void Dispose() => _scheduler.Dispose();
}
