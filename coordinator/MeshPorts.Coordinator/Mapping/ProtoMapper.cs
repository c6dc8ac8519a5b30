using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.State;
using MeshPorts.Coordinator.State.Access;
using MeshPorts.Coordinator.State.Netmaps;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.Mapping;

/// <summary>
/// Converts wire messages to State's typed inputs and State's records to wire messages: the only place both worlds
/// meet, used by Services and Streaming alike.
/// </summary>
internal static class ProtoMapper
{
    public static Timestamp Time(long unixMs) => Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(unixMs));

    /// <summary>long.MaxValue (never) is clamped to the largest timestamp protobuf can carry.</summary>
    public static Timestamp TimeOrMax(long unixMs) =>
        Time(Math.Min(unixMs, new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds()));

    /// <summary>
    /// A request's Duration as a TimeSpan, or null if unset. Out-of-range seconds or nanos, or mixed signs,
    /// are the caller's mistake (INVALID_ARGUMENT naming the field), not the UNKNOWN that ToTimeSpan throws.
    /// </summary>
    public static TimeSpan? Duration(Duration? value, string field)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Seconds is < MinDurationSeconds or > MaxDurationSeconds || value.Nanos is < -MaxNanos or > MaxNanos
            || (value.Seconds < 0 && value.Nanos > 0) || (value.Seconds > 0 && value.Nanos < 0))
        {
            throw new StateException(StateError.InvalidArgument,
                $"{field}: not a valid Duration (seconds within +-315576000000, nanos within +-999999999, both of one sign); send e.g. 3600s");
        }

        return value.ToTimeSpan();
    }

    /// <summary>A request's Timestamp, or null if unset; outside 0001-01-01..9999-12-31 or with bad nanos is INVALID_ARGUMENT.</summary>
    public static DateTimeOffset? Time(Timestamp? value, string field)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Seconds is < MinTimestampSeconds or > MaxTimestampSeconds || value.Nanos is < 0 or > MaxNanos)
        {
            throw new StateException(StateError.InvalidArgument,
                $"{field}: not a valid Timestamp (0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, nanos 0-999999999); send an RFC 3339 time");
        }

        return value.ToDateTimeOffset();
    }

    // google/protobuf/duration.proto: about +-10,000 years; nanos carry the sign of seconds.
    private const long MinDurationSeconds = -315_576_000_000;
    private const long MaxDurationSeconds = 315_576_000_000;
    private const int MaxNanos = 999_999_999;

    // google/protobuf/timestamp.proto: seconds from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
    private const long MinTimestampSeconds = -62_135_596_800;
    private const long MaxTimestampSeconds = 253_402_300_799;

    public static Protocol Protocol(PortProtocol protocol) => protocol.ToProto();

    /// <summary>A request's protocol; unspecified and unknown numbers are the caller's mistake.</summary>
    public static PortProtocol Protocol(Protocol protocol) =>
        PortProtocols.TryFromProto(protocol, out var parsed) ? parsed : throw new StateException(StateError.InvalidArgument, "protocol must be tcp or udp");

    /// <summary>An admin request's protocol, where unspecified means tcp (meshctl's default).</summary>
    public static PortProtocol ProtocolOrTcp(Protocol protocol) => protocol == Contracts.Node.Protocol.Unspecified ? PortProtocol.Tcp : Protocol(protocol);

    /// <summary>A request's SUBJECT, parsed once here; the refusal names <paramref name="field"/> and what rule the text broke.</summary>
    public static Subject Subject(string text, RequestField field = RequestField.None) =>
        Contracts.Grammar.Subject.TryParse(text, out var subject, out var error)
            ? subject
            : throw new StateException(StateError.InvalidArgument, $"'{text.Trim()}': {error}", field);

    /// <summary>A denied flow as the node reported it; an unspecified protocol is ICMP or another that is not tcp/udp.</summary>
    public static DeniedFlowInput DeniedFlow(DeniedFlow f) =>
        new(f.SourceAddress, f.DestinationAddress, (long)f.Port, f.Protocol switch
        {
            Contracts.Node.Protocol.Tcp => PortProtocol.Tcp.ToText(),
            Contracts.Node.Protocol.Udp => PortProtocol.Udp.ToText(),
            Contracts.Node.Protocol.Unspecified => DeniedFlowCheck.OtherProtocol,
            _ => "",
        }, f.Count);

    public static ServiceRecord Service(ExposedService s) => new((int)s.Port, Protocol(s.Protocol), s.Name);

    public static SelfInfo Self(NodeView view, string dnsSuffix = Options.DnsSuffixes.Default)
    {
        var n = view.Self;
        var self = new SelfInfo
        {
            NodeId = n.Id,
            Name = n.Name,
            User = n.User,
            OverlayIpv4 = view.OverlayIpv4,
            OverlayIpv6 = view.OverlayIpv6,
            WireguardPublicKey = ByteString.CopyFrom(n.WireGuardKey),
            KeyExpiresAt = Time(n.KeyExpiresAt),
            DnsSuffix = dnsSuffix,
        };
        self.Tags.AddRange(n.Tags);
        return self;
    }

    public static Peer Peer(PeerView p)
    {
        var peer = new Peer
        {
            NodeId = p.NodeId,
            Name = p.Name,
            User = p.User,
            WireguardPublicKey = ByteString.CopyFrom(p.WireGuardKey),
            ValidUntil = TimeOrMax(p.ValidUntil),
            PreviousWireguardPublicKey = p.PreviousWireGuardKey is null ? ByteString.Empty : ByteString.CopyFrom(p.PreviousWireGuardKey),
            HomeRelay = p.HomeRelay,
        };
        peer.Tags.AddRange(p.Tags);
        peer.AllowedIps.AddRange(p.AllowedIps);
        peer.Endpoints.AddRange(p.Endpoints);
        return peer;
    }

    public static InboundRule Rule(InboundRuleView r)
    {
        var rule = new InboundRule
        {
            Id = r.Id,
            SourceNodeId = r.SourceNodeId,
            SourceName = r.SourceName,
            Port = (uint)r.Port,
            Protocol = Protocol(r.Protocol),
            NotAfter = TimeOrMax(r.NotAfter),
            AllowedBy = r.AllowedBy,
            Kind = r.Source == PermissionSource.Grant ? RuleKind.Grant : RuleKind.Policy,
        };
        rule.SourceAddresses.AddRange(r.SourceAddresses);
        return rule;
    }

    public static Token Token(TokenRecord t)
    {
        var token = new Token
        {
            Id = t.Id,
            Name = t.Name,
            User = t.User,
            UsesTotal = (uint)t.UsesTotal,
            UsesLeft = (uint)t.UsesLeft,
            CreatedAt = Time(t.CreatedAt),
            ExpiresAt = Time(t.ExpiresAt),
            Revoked = t.Revoked,
        };
        token.Tags.AddRange(t.Tags);
        return token;
    }

    public static Node Node(NodeStatus s)
    {
        var n = s.Node;
        var node = new Node
        {
            Id = n.Id,
            Name = n.Name,
            User = n.User,
            OverlayIp = s.OverlayIpv4,
            OverlayIpv6 = s.OverlayIpv6,
            PublicKey = Convert.ToBase64String(n.WireGuardKey),
            KeyExpiresAt = Time(n.KeyExpiresAt),
            Online = s.Online,
            LastSeen = s.LastSeen > 0 ? Time(s.LastSeen) : null,
            AppliedSerial = n.AppliedSerial,
            LatestSerial = s.LatestSerial,
            EnrolledAt = Time(n.EnrolledAt),
            MachinePublicKey = Convert.ToBase64String(n.MachineKey),
        };
        node.Tags.AddRange(n.Tags);
        node.Endpoints.AddRange(n.Endpoints);
        node.Exposed.AddRange(n.Services.Select(x => new ExposedService { Port = (uint)x.Port, Protocol = Protocol(x.Protocol), Name = x.Name }));
        return node;
    }

    public static Grant Grant(GrantRecord g, bool active) => new()
    {
        Id = g.Id,
        From = g.Subject.ToString(),
        To = g.Target.ToString(),
        Port = (uint)g.Port,
        Protocol = Protocol(g.Protocol),
        CreatedAt = Time(g.CreatedAt),
        ExpiresAt = Time(g.ExpiresAt),
        Reason = g.Reason,
        Revoked = g.RevokedAt is not null,
        RevokedAt = g.RevokedAt is { } r ? Time(r) : null,
        Active = active,
    };

    public static AuditEvent Audit(AuditRecord r) => new()
    {
        Seq = (ulong)r.Seq,
        Time = Time(r.Time),
        Kind = r.Kind,
        Actor = r.Actor,
        Subject = r.Subject,
        Outcome = r.Outcome,
        DetailsJson = r.Details,
        PrevHash = r.PrevHash,
        Hash = r.Hash,
    };
}
