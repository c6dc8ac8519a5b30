using System.Globalization;
using MeshPorts.Contracts.Audit;
using MeshPorts.Ctl.Api;
using MeshPorts.Ctl.Parsing;
using NSec.Cryptography;

namespace MeshPorts.Ctl.Audit;

/// <summary>
/// meshctl's own check of the audit log; it does not take the server's word for it. It fetches every event and
/// recomputes the chain from the genesis, checks the signed head with the audit key and that it covers the last
/// event, and checks that the log still holds the head seen last time (same seq, same hash) and is not shorter.
/// </summary>
internal sealed class AuditVerifier
{
    // Events appended while meshctl reads are legitimate; a log that keeps outgrowing its head this often is not settling.
    private const int MaxHeadRefreshes = 5;

    private readonly IAdminApi _api;
    private readonly PublicKey _key;
    private readonly SeenHead? _seen;
    private readonly Dictionary<ulong, string> _wanted = [];
    private ulong _lastSeq;
    private string _lastHash = AuditHashChain.Genesis;

    /// <param name="key">The raw 32-byte Ed25519 key to check heads with (meshctl.conf's, or the one kept from earlier).</param>
    /// <param name="seen">The head verified last time, if any.</param>
    public AuditVerifier(IAdminApi api, byte[] key, SeenHead? seen)
    {
        _api = api;
        _key = PublicKey.Import(SignatureAlgorithm.Ed25519, key, KeyBlobFormat.RawPublicKey);
        _seen = seen;
    }

    /// <summary>Checks the log; <paramref name="head"/> is the signed head the server gave before the walk (null if it gave none).</summary>
    public async Task<AuditCheck> CheckAsync(AuditHeadView? head, CancellationToken cancellation)
    {
        if (_seen is not null)
        {
            _wanted[_seen.Seq] = "";
        }

        if (head is not null)
        {
            _wanted[head.Seq] = "";
        }

        if (await WalkAsync(cancellation) is { } broken)
        {
            return broken;
        }

        for (var refresh = 0; ; refresh++)
        {
            if (head is null)
            {
                if (_lastSeq != 0)
                {
                    return Fail(1, $"no signed head covers the log (it ends at event {_lastSeq}); upgrade the coordinator, or the head was removed from its database");
                }

                break;
            }

            if (!Verifies(head))
            {
                return Fail(head.Seq, "head signature does not verify with the audit key: the log or its head was forged, or the coordinator's key was replaced");
            }

            if (_lastSeq < head.Seq)
            {
                // The head was signed before the walk, so every event it covers was there to be read.
                return Fail(_lastSeq + 1, Invariant($"audit log truncated: the signed head is at event {head.Seq}, but the log ends at {_lastSeq}"));
            }

            if (!string.Equals(_wanted[head.Seq], head.Hash, StringComparison.Ordinal))
            {
                return Fail(head.Seq, Invariant($"audit log rewritten: event {head.Seq}'s hash differs from the signed head's"));
            }

            if (_lastSeq == head.Seq)
            {
                break;
            }

            if (refresh == MaxHeadRefreshes)
            {
                return Fail(head.Seq + 1, "the audit log kept growing while it was read; run meshctl audit verify again");
            }

            // Events past the head: appended while we read, or slipped in without the key. A fresh head tells which.
            var newer = (await _api.VerifyAuditAsync(cancellation).ConfigureAwait(false)).Head;
            if (newer is null || newer.Seq < _lastSeq)
            {
                return Fail(head.Seq + 1, Invariant($"events after {head.Seq} are not covered by a signed head: they were added without the coordinator's key"));
            }

            head = newer;
            if (head.Seq == _lastSeq)
            {
                // Already walked past: its hash is the one just computed, not one still to be read.
                _wanted[head.Seq] = _lastHash;
            }
            else
            {
                _wanted.TryAdd(head.Seq, "");
                if (await WalkAsync(cancellation) is { } later)
                {
                    return later;
                }
            }
        }

        if (_seen is not null)
        {
            if (_lastSeq < _seen.Seq)
            {
                return Fail(_lastSeq + 1, Invariant($"audit log truncated: it ends at {_lastSeq}, but {_seen.Seq} was seen {TimeParser.Format(_seen.SeenAt)}"));
            }

            if (!string.Equals(_wanted[_seen.Seq], _seen.Hash, StringComparison.Ordinal))
            {
                return Fail(_seen.Seq, Invariant($"audit log rewritten: event {_seen.Seq}'s hash differs from the head seen {TimeParser.Format(_seen.SeenAt)}"));
            }
        }

        return new AuditCheck(true, _lastSeq, null, null, head);
    }

    /// <summary>Reads pages after the last event checked until the end, recomputing each hash from its predecessor's.</summary>
    private async Task<AuditCheck?> WalkAsync(CancellationToken cancellation)
    {
        while (true)
        {
            var page = await _api.ListAuditPageAsync(_lastSeq, cancellation).ConfigureAwait(false);
            if (page.Count == 0)
            {
                return null;
            }

            foreach (var e in page)
            {
                var expected = _lastSeq + 1;
                if (e.Seq != expected)
                {
                    return Fail(expected, Invariant($"event {expected} is missing (the server sent {e.Seq} next): entries were dropped or reordered"));
                }

                if (!string.Equals(e.PrevHash ?? "", _lastHash, StringComparison.Ordinal))
                {
                    return Fail(e.Seq, Invariant($"event {e.Seq} does not follow event {_lastSeq}: entries were dropped or reordered"));
                }

                var hash = AuditHashChain.Compute(_lastHash, (long)e.Seq, e.Time.ToUnixTimeMilliseconds(), e.Kind,
                    e.Actor ?? "", e.Subject ?? "", e.Outcome ?? "", e.DetailsJson);
                if (!string.Equals(hash, e.Hash, StringComparison.Ordinal))
                {
                    return Fail(e.Seq, Invariant($"event {e.Seq} does not match its hash: it was edited"));
                }

                if (_wanted.ContainsKey(e.Seq))
                {
                    _wanted[e.Seq] = hash;
                }

                _lastSeq = e.Seq;
                _lastHash = hash;
            }
        }
    }

    private bool Verifies(AuditHeadView head)
    {
        byte[] hash, signature;
        try
        {
            hash = Convert.FromHexString(head.Hash);
            signature = Convert.FromBase64String(head.Signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return hash.Length == AuditHashChain.HashSize && head.Seq <= long.MaxValue
            && SignatureAlgorithm.Ed25519.Verify(_key, AuditHeadSignature.Bytes((long)head.Seq, hash, head.Time.ToUnixTimeMilliseconds()), signature);
    }

    private AuditCheck Fail(ulong seq, string problem) => new(false, _lastSeq, seq, problem, null);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
