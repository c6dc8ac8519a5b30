using Makaretu.Dns;

namespace MeshPorts.Node.Names;

/// <summary>
/// Turns one datagram into a decision: A/AAAA for live names under the suffix, NODATA for other types,
/// NXDOMAIN for names the node does not have or may not show, forwarding for other names (the host's own
/// queries only), REFUSED for a peer's query outside the suffix. The wire format is Makaretu.Dns's; anything
/// it cannot read, and anything that is not one plain query, is dropped and counted. Pure; never throws on
/// datagram contents.
/// </summary>
internal sealed class NameAnswerer
{
    /// <summary>The most a TTL says: names end with grants, so resolvers must not keep them long.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromSeconds(5);

    // RFC 1035 4.2.1: a UDP DNS message is at most 512 bytes without EDNS; an EDNS query may be larger.
    private const int MaxQueryLength = 4096;

    private readonly NameCounters _counters;

    public NameAnswerer(NameCounters counters)
    {
        ArgumentNullException.ThrowIfNull(counters);
        _counters = counters;
    }

    public NameDecision Decide(ReadOnlySpan<byte> datagram, NameZone zone, NameAsker asker, long nowTicks)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (TryReadQuery(datagram) is not { } query)
        {
            _counters.CountMalformed();
            return NameDecision.Drop;
        }

        var question = query.Questions[0];
        var labels = question.Name.Labels;
        var suffix = zone.Suffix.Split('.');
        if (!UnderSuffix(labels, suffix))
        {
            if (asker.IsLocalHost)
            {
                return new NameDecision(NameDecisionKind.Forward, null, query.Id);
            }

            _counters.CountRefused();
            return Reply(query, MessageStatus.Refused);
        }

        var response = query.CreateResponse();
        response.AA = true;
        response.RA = asker.IsLocalHost;
        if (labels.Count == suffix.Length)
        {
            // The suffix itself exists (it holds the names) but has no addresses: NODATA.
            _counters.CountAnswered();
            return Encode(response);
        }

        var entry = labels.Count == suffix.Length + 1 ? zone.Find(labels[0].ToLowerInvariant(), nowTicks) : null;
        if (entry is not null && !asker.IsLocalHost && !entry.IsSelf && !entry.Has(asker.Source))
        {
            // A peer only sees this node and itself here: the rest of the zone is this node's view, not the peer's.
            entry = null;
        }

        if (entry is null)
        {
            _counters.CountNameError();
            response.Status = MessageStatus.NameError;
            return Encode(response);
        }

        var ttl = TimeSpan.FromTicks(Math.Clamp(entry.DeadlineTicks - nowTicks, 0, MaxTtl.Ticks));
        ttl = TimeSpan.FromSeconds(Math.Floor(ttl.TotalSeconds));
        if (question.Class is DnsClass.IN or DnsClass.ANY)
        {
            if (question.Type is DnsType.A or DnsType.ANY && entry.Ipv4 is { } v4)
            {
                response.Answers.Add(new ARecord { Name = question.Name, Address = v4, TTL = ttl });
            }

            if (question.Type is DnsType.AAAA or DnsType.ANY && entry.Ipv6 is { } v6)
            {
                response.Answers.Add(new AAAARecord { Name = question.Name, Address = v6, TTL = ttl });
            }
        }

        _counters.CountAnswered();
        return Encode(response);
    }

    /// <summary>SERVFAIL for a query that was forwarded and not answered; null if it cannot be read again.</summary>
    public static byte[]? ServerFailure(ReadOnlySpan<byte> datagram) =>
        TryReadQuery(datagram) is { } query ? Reply(query, MessageStatus.ServerFailure).Response : null;

    /// <summary>One plain query (QR 0, opcode QUERY, one question, no answers), or null.</summary>
    private static Message? TryReadQuery(ReadOnlySpan<byte> datagram)
    {
        // Header (12) plus the smallest question (root name 1, type 2, class 2).
        if (datagram.Length < 17 || datagram.Length > MaxQueryLength)
        {
            return null;
        }

        var bytes = datagram.ToArray();
        var message = new Message();
        try
        {
            message.Read(bytes, 0, bytes.Length);
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or IOException or ArgumentException
            or FormatException or OverflowException or IndexOutOfRangeException or InvalidOperationException
            or NotSupportedException or InvalidCastException or KeyNotFoundException or NullReferenceException)
        {
            return null;
        }

        return message is { QR: false, Opcode: MessageOperation.Query, Questions.Count: 1, Answers.Count: 0, AuthorityRecords.Count: 0 }
            ? message
            : null;
    }

    private static bool UnderSuffix(IReadOnlyList<string> labels, string[] suffix)
    {
        if (labels.Count < suffix.Length)
        {
            return false;
        }

        var offset = labels.Count - suffix.Length;
        for (var i = 0; i < suffix.Length; i++)
        {
            if (!string.Equals(labels[offset + i], suffix[i], StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    private static NameDecision Reply(Message query, MessageStatus status)
    {
        var response = query.CreateResponse();
        response.Status = status;
        return Encode(response);
    }

    private static NameDecision Encode(Message response)
    {
        // A query's EDNS options are not echoed: the reply is a plain one, and always small.
        response.AdditionalRecords.Clear();
        return new NameDecision(NameDecisionKind.Reply, response.ToByteArray(), response.Id);
    }
}
