using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using MeshPorts.Contracts.Time;
using MeshPorts.Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.Audit;

/// <summary>
/// The hash-chained audit log. A change hands the store its events (<see cref="Event"/>), and the store writes
/// them in the change's own transaction, chained after the last stored event and under a signed head that
/// covers exactly the last one (see <see cref="PendingAudit"/>); so a crash never keeps a change without its
/// events, and writers on several replicas keep one chain. Once committed, each event is mirrored to
/// DATA/audit.jsonl, logged, fanned out to followers and handed to the shipper, in chain order.
/// </summary>
internal sealed class AuditLog : IAuditSealer, IDisposable
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
        AuditHeadRecord? head;
        long lastSeq;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var last = await _store.GetLastAsync(cancellationToken);
            head = await _store.GetHeadAsync(cancellationToken);
            lastSeq = last?.Seq ?? 0;
            if (last is not null && head is null && keyCreated)
            {
                await _store.SetHeadAsync(_signer.Sign(last.Seq, last.Hash, _time.GetUtcNow().ToUnixTimeMilliseconds()), cancellationToken);
                AuditLogLog.HeadAdopted(_logger, last.Seq);
                return null;
            }

            problem = CheckHead(head, last);
        }
        finally
        {
            _gate.Release();
        }

        if (problem is not null)
        {
            AuditLogLog.HeadMismatch(_logger, problem);
            await AppendAsync(HeadMismatchKind, "coordinator", "audit", "failed",
                new { problem, storedHeadSeq = head?.Seq ?? 0, lastSeq }, cancellationToken);
        }

        return problem;
    }

    /// <summary>The latest signed head, or null while the log is empty. Read from the store: another replica may have moved it.</summary>
    public Task<AuditHeadRecord?> GetHeadAsync(CancellationToken cancellationToken = default) => _store.GetHeadAsync(cancellationToken);

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

    public Action? OnAppended { get; set; }

    /// <summary>Gets each event after its commit, to ship to journald, syslog or OTLP; null = none configured.</summary>
    public Shipping.AuditShipper? Shipper { get; set; }

    /// <summary>
    /// The events of one change, to hand to the store call that makes it; add more with
    /// <see cref="PendingAudit.And"/>. <paramref name="details"/> is a small object stored as JSON that must never hold secrets.
    /// </summary>
    public PendingAudit Event(string kind, string actor, string subject, string outcome, object? details) =>
        Events().And(kind, actor, subject, outcome, details);

    /// <summary>No events yet: for a change that records one per item, each added with <see cref="PendingAudit.And"/>.</summary>
    public PendingAudit Events() => new(this);

    /// <summary>Appends one event that records no other change (a refusal, a report) in a transaction of its own.</summary>
    public async Task<AuditRecord> AppendAsync(string kind, string actor, string subject, string outcome, object? details, CancellationToken cancellationToken = default)
    {
        var pending = Event(kind, actor, subject, outcome, details);
        await AppendAsync(pending, cancellationToken);
        return pending.Sealed!.Records[0];
    }

    /// <summary>Appends events that record no other change, in a transaction of their own.</summary>
    public Task AppendAsync(PendingAudit pending, CancellationToken cancellationToken = default) => _store.AppendAsync(pending, cancellationToken);

    AuditEntry IAuditSealer.Entry(string kind, string actor, string subject, string outcome, object? details) =>
        new(kind, actor, subject, outcome, details is null ? "{}" : AsciiOnly(JsonSerializer.Serialize(details, details.GetType(), s_detailsJson)));

    SealedAudit IAuditSealer.Seal(AuditRecord? last, IReadOnlyList<AuditEntry> entries)
    {
        var time = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var prev = last?.Hash ?? AuditChain.Genesis;
        var seq = last?.Seq ?? 0;
        var records = new List<AuditRecord>(entries.Count);
        var heads = new List<AuditHeadRecord>(entries.Count);
        foreach (var e in entries)
        {
            var record = new AuditRecord
            {
                Seq = ++seq,
                Time = time,
                Kind = e.Kind,
                Actor = e.Actor,
                Subject = e.Subject,
                Outcome = e.Outcome,
                Details = e.Details,
                PrevHash = prev,
            };
            record = record with { Hash = AuditChain.ComputeHash(prev, record) };
            records.Add(record);
            heads.Add(_signer.Sign(record.Seq, record.Hash, time));
            prev = record.Hash;
        }

        return new SealedAudit(records, heads);
    }

    void IAuditSealer.Committed(SealedAudit sealedAudit)
    {
        for (var i = 0; i < sealedAudit.Records.Count; i++)
        {
            var record = sealedAudit.Records[i];
            WriteJsonl(record, sealedAudit.Heads[i]);
            AuditLogLog.Appended(_logger, record.Seq, record.Kind, record.Actor, record.Subject, record.Outcome);
            OnAppended?.Invoke();
            lock (_followersLock)
            {
                foreach (var follower in _followers)
                {
                    follower.Writer.TryWrite(record);
                }
            }

            Shipper?.Ship(record);
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
    public Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default) =>
        VerifyAfterAsync(0, AuditChain.Genesis, cancellationToken);

    /// <summary>
    /// As <see cref="VerifyAsync"/>, but only the events after <paramref name="afterSeq"/>, trusting that event's hash
    /// to be <paramref name="afterHash"/> (as an earlier walk found it): the next event must chain on that hash, so
    /// a rewrite of the trusted event is found too once anything follows it. The result's LastSeq and LastHash
    /// are where the intact part ends, to go on from.
    /// </summary>
    public async Task<AuditVerification> VerifyAfterAsync(long afterSeq, string afterHash, CancellationToken cancellationToken = default)
    {
        // The head is taken first: events appended during the walk are chained but come after it.
        var head = await GetHeadAsync(cancellationToken);
        var expectedSeq = afterSeq + 1;
        var prev = afterHash;
        long checkedCount = 0;
        AuditVerification Bad(long seq, string problem) => new(false, checkedCount, seq, problem, expectedSeq - 1, prev);
        if (head is not null && !_signer.Verifies(head))
        {
            return Bad(head.Seq, FormattableString.Invariant($"the head at event {head.Seq} does not verify with the audit key"));
        }

        while (true)
        {
            var batch = await _store.ListAsync(expectedSeq - 1, 0, 1000, cancellationToken);
            if (batch.Count == 0)
            {
                return head is not null && expectedSeq - 1 < head.Seq
                    ? Bad(expectedSeq, FormattableString.Invariant($"the signed head is at event {head.Seq} but the log ends at {expectedSeq - 1}: events were deleted"))
                    : new AuditVerification(true, checkedCount, 0, "", expectedSeq - 1, prev);
            }

            foreach (var r in batch)
            {
                if (r.Seq != expectedSeq)
                {
                    return Bad(expectedSeq, FormattableString.Invariant($"event {expectedSeq} is missing (next stored is {r.Seq}): entries were dropped"));
                }

                if (!string.Equals(r.PrevHash, prev, StringComparison.Ordinal) && r.Seq == afterSeq + 1 && afterSeq > 0)
                {
                    // The stored chain may look whole again, but not the one verified before: the trusted event changed.
                    return Bad(afterSeq, FormattableString.Invariant($"event {r.Seq} chains on another hash than event {afterSeq} had when it was verified: event {afterSeq} was rewritten"));
                }

                if (!string.Equals(r.PrevHash, prev, StringComparison.Ordinal))
                {
                    return Bad(r.Seq, FormattableString.Invariant($"event {r.Seq} does not follow event {r.Seq - 1}: entries were dropped or reordered"));
                }

                if (!string.Equals(AuditChain.ComputeHash(prev, r), r.Hash, StringComparison.Ordinal))
                {
                    return Bad(r.Seq, FormattableString.Invariant($"event {r.Seq} does not match its hash: it was edited"));
                }

                if (head is not null && r.Seq == head.Seq && !string.Equals(r.Hash, head.Hash, StringComparison.Ordinal))
                {
                    return Bad(r.Seq, FormattableString.Invariant($"event {r.Seq}'s hash differs from the signed head's: the log was rewritten"));
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

    public void Dispose()
    {
        _gate.Dispose();
        _signer.Dispose();
    }
}
