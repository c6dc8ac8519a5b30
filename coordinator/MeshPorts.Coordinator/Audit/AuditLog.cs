using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using MeshPorts.Contracts.Time;
using MeshPorts.Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.Audit;

/// <summary>
/// Appends hash-chained events to the store and to DATA/audit.jsonl, signs the chain's head after every
/// append, and fans events out to followers. Appends are serialized so each event's prev_hash is the hash of
/// the one right before it and each head covers exactly the last event.
/// </summary>
internal sealed class AuditLog : IDisposable
{
    public const string HeadMismatchKind = "audit.head_mismatch";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    // Details are read by people and log shippers, never embedded in HTML: '+' stays '+' rather than \u002B,
    // and a DateTimeOffset is written as RFC 3339 UTC with Z, like every other time a person reads. The relaxed
    // encoder passes every non-ASCII character through, bidi overrides and zero-width ones included, so
    // AsciiOnly escapes those after it (details hold text unauthenticated callers chose).
    private static readonly JsonSerializerOptions s_detailsJson = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new UtcTimeJsonConverter() },
    };

    private readonly IAuditStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string? _jsonlPath;
    private readonly AuditHeadSigner _signer;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _followersLock = new();
    private readonly List<Channel<AuditRecord>> _followers = [];
    private AuditRecord? _last;
    private AuditHeadRecord? _head;
    private bool _loaded;

    /// <param name="signer">Signs every head; the log owns and disposes it.</param>
    public AuditLog(IAuditStore store, TimeProvider time, ILogger logger, string? jsonlPath, AuditHeadSigner signer)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _jsonlPath = jsonlPath;
        _signer = signer;
    }

    /// <summary>"ed25519:&lt;base64&gt;" of the key that signs heads.</summary>
    public string PublicKeyText => _signer.PublicKeyText;

    /// <summary>
    /// Checks, before anything is appended, that the stored head is signed by this key and covers the last
    /// stored event. A log written before heads were signed gets its first head now, but only when the key is
    /// new too (<paramref name="keyCreated"/>): with an old key, a missing head means someone removed it. A
    /// mismatch is logged and recorded as an event, since the next append signs whatever the chain now is.
    /// </summary>
    /// <returns>What is wrong with the stored head, or null.</returns>
    public async Task<string?> InitializeAsync(bool keyCreated, CancellationToken cancellationToken)
    {
        if (_jsonlPath is not null && File.Exists(_jsonlPath) && !OperatingSystem.IsWindows())
        {
            // Earlier coordinators created it 0644; its lines describe who did what, so keep it owner-only.
            File.SetUnixFileMode(_jsonlPath, OwnerOnly);
        }

        string? problem;
        long lastSeq;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await EnsureLoadedAsync(cancellationToken);
            lastSeq = _last?.Seq ?? 0;
            if (_last is not null && _head is null && keyCreated)
            {
                _head = _signer.Sign(_last.Seq, _last.Hash, _time.GetUtcNow().ToUnixTimeMilliseconds());
                await _store.SetHeadAsync(_head, cancellationToken);
                AuditLogLog.HeadAdopted(_logger, _last.Seq);
                return null;
            }

            problem = CheckHead(_head, _last);
        }
        finally
        {
            _gate.Release();
        }

        if (problem is not null)
        {
            AuditLogLog.HeadMismatch(_logger, problem);
            await AppendAsync(HeadMismatchKind, "coordinator", "audit", "failed",
                new { problem, storedHeadSeq = _head?.Seq ?? 0, lastSeq }, cancellationToken);
        }

        return problem;
    }

    /// <summary>The latest signed head, or null while the log is empty.</summary>
    public async Task<AuditHeadRecord?> GetHeadAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await EnsureLoadedAsync(cancellationToken);
            return _head;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>What is wrong with <paramref name="head"/> as the signed head of a chain ending at <paramref name="last"/>, or null.</summary>
    public string? CheckHead(AuditHeadRecord? head, AuditRecord? last)
    {
        if (head is null)
        {
            return last is null ? null : FormattableString.Invariant($"no signed head covers the log, which ends at event {last.Seq}: the head was removed");
        }

        if (!_signer.Verifies(head))
        {
            return FormattableString.Invariant($"the head at event {head.Seq} does not verify with the audit key: the head was edited or the key replaced");
        }

        if (last is null || last.Seq < head.Seq)
        {
            return FormattableString.Invariant($"the signed head is at event {head.Seq} but the log ends at {last?.Seq ?? 0}: events were deleted");
        }

        if (last.Seq > head.Seq)
        {
            return FormattableString.Invariant($"the signed head is at event {head.Seq} but the log goes on to {last.Seq}: events were added without the key");
        }

        return string.Equals(last.Hash, head.Hash, StringComparison.Ordinal)
            ? null
            : FormattableString.Invariant($"event {last.Seq}'s hash differs from the signed head's: the log was rewritten");
    }

    private async Task EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            _last = await _store.GetLastAsync(cancellationToken);
            _head = await _store.GetHeadAsync(cancellationToken);
            _loaded = true;
        }
    }

    public Action? OnAppended { get; set; }

    /// <summary>Appends one event. <paramref name="details"/> is any small object; it is stored as JSON and must never hold secrets.</summary>
    public async Task<AuditRecord> AppendAsync(string kind, string actor, string subject, string outcome, object? details, CancellationToken cancellationToken = default)
    {
        var detailsJson = details is null ? "{}" : AsciiOnly(JsonSerializer.Serialize(details, details.GetType(), s_detailsJson));
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await EnsureLoadedAsync(cancellationToken);
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
            var head = _signer.Sign(record.Seq, record.Hash, record.Time);
            await _store.AppendAsync(record, head, cancellationToken);
            _last = record;
            _head = head;
            WriteJsonl(record, head);
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

    private void WriteJsonl(AuditRecord record, AuditHeadRecord head)
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

                // The signed head after this event: a database truncated or rewritten later disagrees with the sink.
                head = new
                {
                    seq = head.Seq,
                    hash = head.Hash,
                    time = head.Time,
                    signature = Convert.ToBase64String(head.Signature),
                },
            });
            var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnly;
            }

            using var stream = new FileStream(_jsonlPath, options);
            stream.Write(System.Text.Encoding.UTF8.GetBytes(line + "\n"));
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
    /// that is not the previous event's hash, or a hash that does not match the content (edited); then
    /// checks that the signed head covers the last event.
    /// </summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default)
    {
        // The head is taken first: events appended during the walk are chained but come after it.
        var head = await GetHeadAsync(cancellationToken);
        if (head is not null && !_signer.Verifies(head))
        {
            return Bad(0, head.Seq, FormattableString.Invariant($"the head at event {head.Seq} does not verify with the audit key"));
        }

        var expectedSeq = 1L;
        var prev = AuditChain.Genesis;
        long checkedCount = 0;
        while (true)
        {
            var batch = await _store.ListAsync(expectedSeq - 1, 0, 1000, cancellationToken);
            if (batch.Count == 0)
            {
                return head is not null && expectedSeq - 1 < head.Seq
                    ? Bad(checkedCount, expectedSeq, FormattableString.Invariant($"the signed head is at event {head.Seq} but the log ends at {expectedSeq - 1}: events were deleted"))
                    : new AuditVerification(true, checkedCount, 0, "");
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

                if (head is not null && r.Seq == head.Seq && !string.Equals(r.Hash, head.Hash, StringComparison.Ordinal))
                {
                    return Bad(checkedCount, r.Seq, FormattableString.Invariant($"event {r.Seq}'s hash differs from the signed head's: the log was rewritten"));
                }

                prev = r.Hash;
                expectedSeq++;
                checkedCount++;
            }
        }
    }

    /// <summary>
    /// Escapes every character above '~' as \uXXXX. JSON's structure is ASCII, so only string contents change,
    /// and the result is still the same JSON value.
    /// </summary>
    private static string AsciiOnly(string json)
    {
        if (!json.AsSpan().ContainsAnyExceptInRange(' ', '~'))
        {
            return json;
        }

        var escaped = new System.Text.StringBuilder(json.Length + 16);
        foreach (var c in json)
        {
            if (c > '~')
            {
                escaped.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    private static AuditVerification Bad(long checkedCount, long seq, string problem) => new(false, checkedCount, seq, problem);

    public void Dispose()
    {
        _gate.Dispose();
        _signer.Dispose();
    }
}
