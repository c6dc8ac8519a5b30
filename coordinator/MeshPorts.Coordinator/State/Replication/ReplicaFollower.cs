using MeshPorts.Coordinator.Audit;
using MeshPorts.Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.State.Replication;

/// <summary>
/// Keeps this coordinator's memory in step with changes other replicas commit to the shared database. Every
/// change is stored with its audit event in one transaction, so the audit seq is the change serial: the
/// follower waits on the store's change feed (PostgreSQL notifications, or a poll on SQLite), reads the events
/// after the last one it has seen, and when any was written by another process and changes the mesh, reloads
/// the mesh from the store (the source of truth) and publishes what changed to the nodes watching here.
/// </summary>
internal sealed class ReplicaFollower : IAsyncDisposable
{
    /// <summary>The longest a change can go unnoticed if a notification is lost.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(1);

    private const int Page = 1000;

    // Events that change nothing in memory: refusals, reports, acks (each replica counts its own feeds' acks).
    private static readonly HashSet<string> Inert = new(StringComparer.Ordinal)
    {
        "delta.acked", "flow.alert", "flow.denied", "key.refused", "token.failed", "token.created", "token.revoked",
        "token.used", "policy.rejected", AuditLog.HeadMismatchKind,
    };

    private readonly IStore _store;
    private readonly MeshState _state;
    private readonly AuditFollower _own;
    private readonly HashSet<long> _ownSeqs = [];
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _catchUp = new(1, 1);
    private long _seen;
    private Task? _loop;

    /// <param name="seen">The change serial read before the mesh was loaded: everything after it is looked at.</param>
    public ReplicaFollower(IStore store, AuditLog audit, MeshState state, long seen, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(audit);
        _store = store;
        _state = state;
        _own = audit.Follow();
        _seen = seen;
        _logger = logger;
    }

    /// <summary>Foreign changes applied so far.</summary>
    public long Syncs { get; private set; }

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Looks once for changes after the last seen serial and applies them; returns whether it reloaded.</summary>
    public async Task<bool> CatchUpAsync(CancellationToken cancellationToken)
    {
        await _catchUp.WaitAsync(cancellationToken);
        try
        {
            return await CatchUpOnceAsync(cancellationToken);
        }
        finally
        {
            _catchUp.Release();
        }
    }

    private async Task<bool> CatchUpOnceAsync(CancellationToken cancellationToken)
    {
        while (_own.Reader.TryRead(out var mine))
        {
            _ownSeqs.Add(mine.Seq);
        }

        var foreign = new List<string>();
        var last = _seen;
        while (true)
        {
            var events = await _store.Audit.ListAsync(last, 0, Page, cancellationToken);
            foreach (var e in events)
            {
                if (!_ownSeqs.Remove(e.Seq) && !Inert.Contains(e.Kind))
                {
                    foreign.Add(e.Kind);
                }

                last = e.Seq;
            }

            if (events.Count < Page)
            {
                break;
            }
        }

        _ownSeqs.RemoveWhere(s => s <= last);
        _seen = last;
        if (foreign.Count == 0)
        {
            return false;
        }

        await _state.SyncFromStoreAsync(cancellationToken);
        Syncs++;
        ReplicationLog.Synced(_logger, foreign.Count, last);
        return true;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var latest = await _store.Changes.WaitAsync(_seen, MaxWait, cancellationToken);
                if (latest > _seen)
                {
                    await CatchUpAsync(cancellationToken);
                }

                backoff = TimeSpan.FromMilliseconds(200);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The database is away (restarting, failing over): nodes keep what they have; try again.
                ReplicationLog.FollowFailed(_logger, backoff.TotalMilliseconds, ex);
                try
                {
                    await Task.Delay(backoff, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _own.Dispose();
        _stop.Dispose();
        _catchUp.Dispose();
    }
}
