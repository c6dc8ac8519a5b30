using MeshPorts.Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.Audit;

/// <summary>
/// Keeps checking the audit hash chain for monitoring (meshports_audit_chain_ok, meshports_audit_chain_verified_seq):
/// the whole chain once at start, then each event as it is committed, here or by another replica (woken by the
/// store's change feed), chained on the last event already verified; and the whole chain again every
/// <see cref="FullInterval"/>, which finds an old event edited in place. A break a full walk found stays reported
/// until a full walk finds the chain intact again (restored from a backup). A break found on new events, and a head
/// mismatch found at start (<see cref="AuditLog.InitializeAsync"/>), stay reported until the coordinator restarts,
/// because the stored chain can look whole again afterwards: a verified event rewritten with a recomputed hash has
/// the next event chained on the new hash, and the next append after a head mismatch re-signs the head.
/// </summary>
internal sealed class AuditChainMonitor : IAsyncDisposable
{
    /// <summary>How often the whole chain is walked again.</summary>
    public static readonly TimeSpan DefaultFullInterval = TimeSpan.FromHours(1);

    private readonly AuditLog _log;
    private readonly IChangeFeed _changes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private bool _ok = true;
    private long _verifiedSeq;
    private string _verifiedHash = AuditChain.Genesis;
    private string? _sticky;
    private DateTimeOffset _nextFull;
    private Task? _loop;

    public AuditChainMonitor(AuditLog log, IChangeFeed changes, TimeProvider time, ILogger logger)
    {
        _log = log;
        _changes = changes;
        _time = time;
        _logger = logger;
    }

    public TimeSpan FullInterval { get; init; } = DefaultFullInterval;

    /// <summary>False once a break was found (or the stored head did not match at start).</summary>
    public bool Ok
    {
        get
        {
            lock (_lock)
            {
                return _ok && _sticky is null;
            }
        }
    }

    /// <summary>The last event of the intact chain as checked so far.</summary>
    public long VerifiedSeq
    {
        get
        {
            lock (_lock)
            {
                return _verifiedSeq;
            }
        }
    }

    /// <summary>What was wrong with the stored head at start (AuditLog.InitializeAsync); reported until restart.</summary>
    public void HeadMismatchAtStart(string problem)
    {
        lock (_lock)
        {
            _sticky = problem;
        }
    }

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Walks the whole chain now.</summary>
    public async Task VerifyAllAsync(CancellationToken cancellationToken)
    {
        _nextFull = _time.GetUtcNow() + FullInterval;
        var result = await _log.VerifyAsync(cancellationToken);
        Record(result, full: true);
    }

    /// <summary>Checks the events committed after the last one verified; nothing once a break was found (a full walk decides then).</summary>
    public async Task VerifyNewAsync(CancellationToken cancellationToken)
    {
        long seq;
        string hash;
        lock (_lock)
        {
            if (!_ok || _sticky is not null)
            {
                return;
            }

            (seq, hash) = (_verifiedSeq, _verifiedHash);
        }

        Record(await _log.VerifyAfterAsync(seq, hash, cancellationToken), full: false);
    }

    private void Record(AuditVerification result, bool full)
    {
        bool broke;
        lock (_lock)
        {
            if (_sticky is not null || (!full && !_ok))
            {
                return;
            }

            broke = _ok && !result.Ok;
            _ok = result.Ok;
            _verifiedSeq = result.Ok ? result.LastSeq : Math.Min(result.LastSeq, result.FirstBadSeq - 1);
            _verifiedHash = result.LastHash;
            if (!full && !result.Ok)
            {
                _sticky = result.Problem;
            }
        }

        if (broke)
        {
            AuditLogLog.ChainBroken(_logger, result.FirstBadSeq, result.Problem);
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        var started = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (!started || _time.GetUtcNow() >= _nextFull)
                {
                    await VerifyAllAsync(cancellationToken);
                    started = true;
                }

                var latest = await _changes.WaitAsync(VerifiedSeq, TimeSpan.FromSeconds(1), cancellationToken);
                if (latest > VerifiedSeq)
                {
                    await VerifyNewAsync(cancellationToken);
                }

                backoff = TimeSpan.FromMilliseconds(200);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The database is away: what was verified stays verified; look again shortly.
                AuditLogLog.ChainCheckFailed(_logger, ex);
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

        _stop.Dispose();
    }
}
