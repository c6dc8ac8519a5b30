using System.Text.Json;
using System.Threading.Channels;
using MeshPorts.Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.Audit;

/// <summary>
/// Appends hash-chained events to the store and to DATA/audit.jsonl, and fans them out to followers.
/// Appends are serialized so each event's prev_hash is the hash of the one right before it.
/// </summary>
internal sealed class AuditLog : IDisposable
{
    private readonly IAuditStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string? _jsonlPath;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _followersLock = new();
    private readonly List<Channel<AuditRecord>> _followers = [];
    private AuditRecord? _last;
    private bool _loaded;

    public AuditLog(IAuditStore store, TimeProvider time, ILogger logger, string? jsonlPath)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _jsonlPath = jsonlPath;
    }

    public Action? OnAppended { get; set; }

    /// <summary>Appends one event. <paramref name="details"/> is any small object; it is stored as JSON and must never hold secrets.</summary>
    public async Task<AuditRecord> AppendAsync(string kind, string actor, string subject, string outcome, object? details, CancellationToken cancellationToken = default)
    {
        var detailsJson = details is null ? "{}" : JsonSerializer.Serialize(details, details.GetType());
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_loaded)
            {
                _last = await _store.GetLastAsync(cancellationToken);
                _loaded = true;
            }

            var prev = _last?.Hash ?? AuditChain.Genesis;
            var record = new AuditRecord
            {
                Seq = (_last?.Seq ?? 0) + 1,
                Time = _time.GetUtcNow().ToUnixTimeMilliseconds(),
                Kind = kind,
                Actor = actor,
                Subject = subject,
                Outcome = outcome,
                Details = detailsJson,
                PrevHash = prev,
            };
            record = record with { Hash = AuditChain.ComputeHash(prev, record) };
            await _store.AppendAsync(record, cancellationToken);
            _last = record;
            WriteJsonl(record);
            AuditLogLog.Appended(_logger, record.Seq, kind, actor, subject, outcome);
            OnAppended?.Invoke();
            lock (_followersLock)
            {
                foreach (var follower in _followers)
                {
                    follower.Writer.TryWrite(record);
                }
            }

            return record;
        }
        finally
        {
            _gate.Release();
        }
    }

    private void WriteJsonl(AuditRecord record)
    {
        if (_jsonlPath is null)
        {
            return;
        }

        try
        {
            var line = JsonSerializer.Serialize(new
            {
                seq = record.Seq,
                time = DateTimeOffset.FromUnixTimeMilliseconds(record.Time).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
                kind = record.Kind,
                actor = record.Actor,
                subject = record.Subject,
                outcome = record.Outcome,
                details = JsonDocument.Parse(record.Details).RootElement,
                prevHash = record.PrevHash,
                hash = record.Hash,
            });
            File.AppendAllText(_jsonlPath, line + "\n");
        }
        catch (IOException ex)
        {
            AuditLogLog.JsonlFailed(_logger, ex);
        }
    }

    /// <summary>A live feed of new events; dispose the returned handle to stop following.</summary>
    public AuditFollower Follow()
    {
        var channel = Channel.CreateBounded<AuditRecord>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_followersLock)
        {
            _followers.Add(channel);
        }

        return new AuditFollower(channel.Reader, () =>
        {
            lock (_followersLock)
            {
                _followers.Remove(channel);
            }
        });
    }

    /// <summary>
    /// Walks the whole chain from the store: a gap or swap in seq (dropped/reordered), a prev_hash
    /// that is not the previous event's hash, or a hash that does not match the content (edited).
    /// </summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default)
    {
        var expectedSeq = 1L;
        var prev = AuditChain.Genesis;
        long checkedCount = 0;
        while (true)
        {
            var batch = await _store.ListAsync(expectedSeq - 1, 0, 1000, cancellationToken);
            if (batch.Count == 0)
            {
                return new AuditVerification(true, checkedCount, 0, "");
            }

            foreach (var r in batch)
            {
                if (r.Seq != expectedSeq)
                {
                    return Bad(checkedCount, expectedSeq, FormattableString.Invariant($"event {expectedSeq} is missing (next stored is {r.Seq}): entries were dropped"));
                }

                if (!string.Equals(r.PrevHash, prev, StringComparison.Ordinal))
                {
                    return Bad(checkedCount, r.Seq, FormattableString.Invariant($"event {r.Seq} does not follow event {r.Seq - 1}: entries were dropped or reordered"));
                }

                if (!string.Equals(AuditChain.ComputeHash(prev, r), r.Hash, StringComparison.Ordinal))
                {
                    return Bad(checkedCount, r.Seq, FormattableString.Invariant($"event {r.Seq} does not match its hash: it was edited"));
                }

                prev = r.Hash;
                expectedSeq++;
                checkedCount++;
            }
        }
    }

    private static AuditVerification Bad(long checkedCount, long seq, string problem) => new(false, checkedCount, seq, problem);

    public void Dispose() => _gate.Dispose();
}
