using System.Runtime.CompilerServices;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Contracts.Node;
using MeshPorts.Ctl.Parsing;

namespace MeshPorts.Ctl.Api;

/// <summary><see cref="IAdminApi"/> over admin.proto; the only file that knows the generated types.</summary>
internal sealed class GrpcAdminApi : IAdminApi
{
    // ListAudit's page size when the request leaves it at 0 (admin.proto).
    private const int AuditPage = 1000;

    // Admin calls are small; a server that does not answer in this time is stuck, and a script should learn it.
    private static readonly TimeSpan s_callTimeout = TimeSpan.FromSeconds(30);

    private readonly Admin.AdminClient _client;

    public GrpcAdminApi(GrpcChannel channel)
    {
        _client = new Admin.AdminClient(channel);
    }

    public async Task<TokenView> CreateTokenAsync(string? name, string? user, IReadOnlyList<string> tags, TimeSpan ttl, int uses, CancellationToken cancellation)
    {
        var request = new CreateTokenRequest
        {
            Name = name ?? string.Empty,
            User = user ?? string.Empty,
            Ttl = Duration.FromTimeSpan(ttl),
            Uses = (uint)uses,
        };
        request.Tags.AddRange(tags);
        var response = await _client.CreateTokenAsync(request, Options(cancellation)).ConfigureAwait(false);
        return ToView(response.Token) with { JoinString = response.JoinString };
    }

    public async Task<IReadOnlyList<TokenView>> ListTokensAsync(CancellationToken cancellation)
    {
        var response = await _client.ListTokensAsync(new ListTokensRequest(), Options(cancellation)).ConfigureAwait(false);
        return response.Tokens.Select(ToView).ToList();
    }

    public async Task<TokenView> RevokeTokenAsync(string id, CancellationToken cancellation)
    {
        var response = await _client.RevokeTokenAsync(new RevokeTokenRequest { Id = id }, Options(cancellation)).ConfigureAwait(false);
        return ToView(response.Token);
    }

    public async Task<IReadOnlyList<NodeView>> ListNodesAsync(CancellationToken cancellation)
    {
        var response = await _client.ListNodesAsync(new ListNodesRequest(), Options(cancellation)).ConfigureAwait(false);
        return response.Nodes.Select(n => ToView(n)).ToList();
    }

    public async Task<NodeView> GetNodeAsync(string name, CancellationToken cancellation)
    {
        var response = await _client.GetNodeAsync(new GetNodeRequest { Name = name }, Options(cancellation)).ConfigureAwait(false);
        return ToView(response.Node, response.Peers.ToList()) with
        {
            Candidates = response.Node.Candidates.ToList(),
            HomeRelay = Empty(response.Node.HomeRelay),
            Paths = response.Node.Paths.Select(p => new NodePathView
            {
                Peer = p.Peer,
                Path = p.Path,
                Endpoint = Empty(p.Endpoint),
                RttMs = p.RttUs > 0 ? p.RttUs / 1000.0 : null,
            }).ToList(),
        };
    }

    public async Task<NodeView> RemoveNodeAsync(string name, CancellationToken cancellation)
    {
        var response = await _client.RemoveNodeAsync(new RemoveNodeRequest { Name = name }, Options(cancellation)).ConfigureAwait(false);
        return ToView(response.Node);
    }

    public async Task<GrantView> AddGrantAsync(Subject from, PortTarget to, TimeSpan duration, string? reason, CancellationToken cancellation)
    {
        var request = new AddGrantRequest
        {
            From = from.ToString(),
            To = to.Target.ToString(),
            Port = (uint)to.Port,
            Protocol = to.Protocol.ToProto(),
            Duration = Duration.FromTimeSpan(duration),
            Reason = reason ?? string.Empty,
        };
        var response = await _client.AddGrantAsync(request, Options(cancellation)).ConfigureAwait(false);
        return ToView(response.Grant);
    }

    public async Task<IReadOnlyList<GrantView>> ListGrantsAsync(CancellationToken cancellation)
    {
        var response = await _client.ListGrantsAsync(new ListGrantsRequest(), Options(cancellation)).ConfigureAwait(false);
        return response.Grants.Select(ToView).ToList();
    }

    public async Task<GrantView> RevokeGrantAsync(string id, CancellationToken cancellation)
    {
        var response = await _client.RevokeGrantAsync(new RevokeGrantRequest { Id = id }, Options(cancellation)).ConfigureAwait(false);
        return ToView(response.Grant);
    }

    public async Task<RotateView> RotateKeysAsync(string? node, CancellationToken cancellation)
    {
        var request = node is null ? new RotateKeysRequest { All = true } : new RotateKeysRequest { Node = node };
        var response = await _client.RotateKeysAsync(request, Options(cancellation)).ConfigureAwait(false);
        return new RotateView { Nodes = response.Nodes.ToList() };
    }

    public async Task<PolicyResultView> ApplyPolicyAsync(string text, CancellationToken cancellation)
    {
        var response = await _client.ApplyPolicyAsync(new PolicyRequest { Text = text }, Options(cancellation)).ConfigureAwait(false);
        return ToView(response, applied: response.Ok);
    }

    public async Task<PolicyResultView> TestPolicyAsync(string text, CancellationToken cancellation)
    {
        var response = await _client.TestPolicyAsync(new PolicyRequest { Text = text }, Options(cancellation)).ConfigureAwait(false);
        return ToView(response, applied: false);
    }

    public async Task<PolicyView> ShowPolicyAsync(CancellationToken cancellation)
    {
        var response = await _client.ShowPolicyAsync(new ShowPolicyRequest(), Options(cancellation)).ConfigureAwait(false);
        return new PolicyView { Text = response.Text, AppliedAt = Time(response.AppliedAt), Version = Empty(response.Sha256) };
    }

    public async Task<AccessView> CheckAccessAsync(Subject from, PortTarget to, DateTimeOffset? at, CancellationToken cancellation)
    {
        var request = new CheckAccessRequest
        {
            From = from.ToString(),
            To = to.Target.ToString(),
            Port = (uint)to.Port,
            Protocol = to.Protocol.ToProto(),
            At = at is { } t ? Timestamp.FromDateTimeOffset(t) : null,
        };
        var response = await _client.CheckAccessAsync(request, Options(cancellation)).ConfigureAwait(false);
        return new AccessView
        {
            Allowed = response.Allowed,
            From = from.ToString(),
            To = to.ToString(),
            At = at,
            AllowedBy = Empty(response.AllowedBy),
            Until = Time(response.Until),
            Explanation = Empty(response.Explanation),
        };
    }

    public async IAsyncEnumerable<AuditEventView> AuditAsync(DateTimeOffset? since, bool follow, [EnumeratorCancellation] CancellationToken cancellation)
    {
        if (follow)
        {
            // Without --since, --follow shows only what happens from now on, like `tail -f -n 0`.
            var request = new FollowAuditRequest { Since = since is { } s ? Timestamp.FromDateTimeOffset(s) : null };
            using var call = _client.FollowAudit(request, new CallOptions(cancellationToken: cancellation));
            await foreach (var e in call.ResponseStream.ReadAllAsync(cancellation).ConfigureAwait(false))
            {
                yield return ToView(e);
            }

            yield break;
        }

        // ListAudit pages by time: ask again from the last event's time and skip what was already printed.
        var from = since;
        ulong lastSeq = 0;
        while (true)
        {
            var request = new ListAuditRequest { Since = from is { } f ? Timestamp.FromDateTimeOffset(f) : null };
            var response = await _client.ListAuditAsync(request, Options(cancellation)).ConfigureAwait(false);
            var fresh = 0;
            foreach (var e in response.Events)
            {
                if (e.Seq <= lastSeq)
                {
                    continue;
                }

                fresh++;
                lastSeq = e.Seq;
                from = e.Time?.ToDateTimeOffset();
                yield return ToView(e);
            }

            if (response.Events.Count < AuditPage || fresh == 0)
            {
                yield break;
            }
        }
    }

    public async Task<AuditVerifyView> VerifyAuditAsync(CancellationToken cancellation)
    {
        var response = await _client.VerifyAuditAsync(new VerifyAuditRequest(), Options(cancellation)).ConfigureAwait(false);
        return new AuditVerifyView
        {
            Ok = response.Ok,
            Checked = response.Checked,
            FirstBadSeq = response.FirstBadSeq == 0 ? null : response.FirstBadSeq,
            Problem = Empty(response.Problem),
            Head = response.Head is { } h ? new AuditHeadView
            {
                Seq = h.Seq,
                Hash = h.Hash,
                Time = Time(h.Time) ?? default,
                Signature = h.Signature.ToBase64(),
            }
            : null,
            AuditKey = Empty(response.AuditKey),
        };
    }

    public async Task<IReadOnlyList<AuditEventView>> ListAuditPageAsync(ulong afterSeq, CancellationToken cancellation)
    {
        var response = await _client.ListAuditAsync(new ListAuditRequest { AfterSeq = afterSeq, Limit = AuditPage }, Options(cancellation)).ConfigureAwait(false);
        return response.Events.Select(ToView).ToList();
    }

    private static CallOptions Options(CancellationToken cancellation) =>
        new(deadline: DateTime.UtcNow + s_callTimeout, cancellationToken: cancellation);

    private static string ProtocolName(MeshPorts.Contracts.Node.Protocol protocol) =>
        protocol == MeshPorts.Contracts.Node.Protocol.Udp ? "udp" : "tcp";

    private static DateTimeOffset? Time(Timestamp? t) => t is null ? null : t.ToDateTimeOffset();

    private static string? Empty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static TokenView ToView(Token t) => new()
    {
        Id = t.Id,
        Name = Empty(t.Name),
        User = Empty(t.User),
        Tags = t.Tags.ToList(),
        Uses = (int)t.UsesTotal,
        UsesLeft = (int)t.UsesLeft,
        CreatedAt = Time(t.CreatedAt),
        ExpiresAt = Time(t.ExpiresAt),
        Revoked = t.Revoked,
    };

    private static NodeView ToView(MeshPorts.Contracts.Admin.Node n, IReadOnlyList<string>? peers = null) => new()
    {
        Name = n.Name,
        Id = Empty(n.Id),
        OverlayIp = Empty(n.OverlayIp),
        OverlayIpv6 = Empty(n.OverlayIpv6),
        PublicKey = Empty(n.PublicKey),
        KeyExpiresAt = Time(n.KeyExpiresAt),
        Online = n.Online,
        LastSeen = Time(n.LastSeen),
        AppliedSerial = n.AppliedSerial,
        LatestSerial = n.LatestSerial,
        Tags = n.Tags.ToList(),
        User = Empty(n.User),
        Endpoints = n.Endpoints.ToList(),
        Exposed = n.Exposed.Select(s => $"{s.Port}/{ProtocolName(s.Protocol)}{(string.IsNullOrEmpty(s.Name) ? string.Empty : "=" + s.Name)}").ToList(),
        EnrolledAt = Time(n.EnrolledAt),
        MachinePublicKey = Empty(n.MachinePublicKey),
        Peers = peers,
    };

    private static GrantView ToView(Grant g) => new()
    {
        Id = g.Id,
        From = g.From,
        To = $"{g.To}:{g.Port}/{ProtocolName(g.Protocol)}",
        CreatedAt = Time(g.CreatedAt),
        ExpiresAt = Time(g.ExpiresAt) ?? default,
        Reason = Empty(g.Reason),
        Revoked = g.Revoked,
        Active = g.Active,
    };

    private static PolicyResultView ToView(PolicyResponse r, bool applied) => new()
    {
        Ok = r.Ok,
        Applied = applied,
        Errors = r.Errors.Select(e => e.Line > 0 ? $"line {e.Line}: {e.Message}" : e.Message).ToList(),
        Tests = r.Tests.Select(t => new PolicyTestResultView { Name = t.Text, Line = t.Line, Passed = t.Passed, Message = Empty(t.Detail) }).ToList(),
        RuleCount = r.RuleCount,
        Version = Empty(r.Sha256),
    };

    private static AuditEventView ToView(AuditEvent e) => new()
    {
        Seq = e.Seq,
        Time = Time(e.Time) ?? default,
        Kind = e.Kind,
        Actor = Empty(e.Actor),
        Subject = Empty(e.Subject),
        Outcome = Empty(e.Outcome),
        Details = ParseDetails(e.DetailsJson),
        PrevHash = Empty(e.PrevHash),
        Hash = Empty(e.Hash),
        DetailsJson = e.DetailsJson,
    };

    private static JsonElement? ParseDetails(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            // Never lose an audit detail over its encoding: show it as a JSON string instead.
            using var doc = JsonDocument.Parse(JsonSerializer.Serialize(json, MeshPorts.Ctl.Output.CtlJsonContext.Default.String));
            return doc.RootElement.Clone();
        }
    }
}
