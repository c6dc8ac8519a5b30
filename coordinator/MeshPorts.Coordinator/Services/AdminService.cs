using Grpc.Core;
using MeshPorts.Contracts.Admin;
using MeshPorts.Coordinator.Audit;
using MeshPorts.Coordinator.Hosting;
using MeshPorts.Coordinator.Mapping;
using MeshPorts.Coordinator.State;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.Services;

/// <summary>
/// The meshctl API: thin translation to <see cref="MeshState"/> and <see cref="AuditLog"/>. Requests are parsed here, once (subjects,
/// protocols, durations); refusals reach meshctl in its own words through <see cref="RefusalWording"/>.
/// </summary>
internal sealed class AdminService : Contracts.Admin.Admin.AdminBase
{
    private readonly MeshState _state;
    private readonly AuditLog _audit;
    private readonly IStore _store;
    private readonly TimeProvider _time;

    public AdminService(MeshState state, AuditLog audit, IStore store, CoordinatorClock clock)
    {
        _state = state;
        _audit = audit;
        _store = store;
        _time = clock.Time;
    }

    public override async Task<CreateTokenResponse> CreateToken(CreateTokenRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var (token, join) = await _state.Tokens.CreateTokenAsync(request.Name, request.User, request.Tags.ToList(),
            ProtoMapper.Duration(request.Ttl, "ttl"), (int)Math.Min(request.Uses, int.MaxValue), context.CancellationToken);
        return new CreateTokenResponse { Token = ProtoMapper.Token(token), JoinString = join };
    }

    public override async Task<ListTokensResponse> ListTokens(ListTokensRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = new ListTokensResponse();
        response.Tokens.AddRange((await _state.Tokens.ListTokensAsync(context.CancellationToken)).Select(t => ProtoMapper.Token(t)));
        return response;
    }

    public override async Task<RevokeTokenResponse> RevokeToken(RevokeTokenRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return new RevokeTokenResponse { Token = ProtoMapper.Token(await _state.Tokens.RevokeTokenAsync(request.Id, context.CancellationToken)) };
    }

    public override async Task<ListNodesResponse> ListNodes(ListNodesRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = new ListNodesResponse();
        response.Nodes.AddRange((await _state.Nodes.ListNodesAsync(context.CancellationToken)).Select(ProtoMapper.Node));
        return response;
    }

    public override async Task<GetNodeResponse> GetNode(GetNodeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var (node, peers, reach) = await _state.Nodes.GetNodeAsync(request.Name, context.CancellationToken);
        var response = new GetNodeResponse { Node = ProtoMapper.Node(node) };
        response.Peers.AddRange(peers);
        if (reach is not null)
        {
            response.Node.Candidates.AddRange(reach.Candidates);
            response.Node.HomeRelay = reach.HomeRelay;
            response.Node.Paths.AddRange(reach.Paths.Select(p => new NodePath { Peer = p.PeerNodeId, Path = p.Path, Endpoint = p.Endpoint, RttUs = p.RttMicroseconds }));
        }

        return response;
    }

    public override async Task<RemoveNodeResponse> RemoveNode(RemoveNodeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return new RemoveNodeResponse { Node = ProtoMapper.Node(await _state.Nodes.RemoveNodeAsync(request.Name, context.CancellationToken)) };
    }

    public override async Task<AddGrantResponse> AddGrant(AddGrantRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var grant = await _state.Grants.AddGrantAsync(ProtoMapper.Subject(request.From, RequestField.GrantFrom), ProtoMapper.Subject(request.To, RequestField.GrantTo),
            (int)Math.Min(request.Port, int.MaxValue), ProtoMapper.ProtocolOrTcp(request.Protocol),
            ProtoMapper.Duration(request.Duration, "duration"), request.Reason, context.CancellationToken);
        return new AddGrantResponse { Grant = ProtoMapper.Grant(grant, _state.Grants.IsGrantActive(grant)) };
    }

    public override async Task<ListGrantsResponse> ListGrants(ListGrantsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var response = new ListGrantsResponse();
        response.Grants.AddRange((await _state.Grants.ListGrantsAsync(request.IncludeInactive, context.CancellationToken))
            .Select(g => ProtoMapper.Grant(g, _state.Grants.IsGrantActive(g))));
        return response;
    }

    public override async Task<RevokeGrantResponse> RevokeGrant(RevokeGrantRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var grant = await _state.Grants.RevokeGrantAsync(request.Id, context.CancellationToken);
        return new RevokeGrantResponse { Grant = ProtoMapper.Grant(grant, false) };
    }

    public override async Task<RotateKeysResponse> RotateKeys(RotateKeysRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var response = new RotateKeysResponse();
        if (request.All == !string.IsNullOrEmpty(request.Node))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "give exactly one of --node NAME or --all"));
        }

        response.Nodes.AddRange(await _state.Rotation.RequestRotationAsync(request.All ? null : request.Node, context.CancellationToken));
        return response;
    }

    public override async Task<PolicyResponse> ApplyPolicy(PolicyRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return ToResponse(await _state.Policy.ApplyPolicyAsync(request.Text, context.CancellationToken));
    }

    public override async Task<PolicyResponse> TestPolicy(PolicyRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return ToResponse(await _state.Policy.TestPolicyAsync(request.Text, context.CancellationToken));
    }

    private static PolicyResponse ToResponse(PolicyResult result)
    {
        var response = new PolicyResponse { Ok = result.Ok, RuleCount = result.RuleCount, Sha256 = result.Sha256 };
        response.Errors.AddRange(result.Errors.Select(e => new PolicyError { Line = e.Line, Message = e.Message }));
        response.Tests.AddRange(result.Tests.Select(t => new PolicyTestResult { Line = t.Test.Line, Text = t.Test.Text, Passed = t.Passed, Detail = t.Detail }));
        return response;
    }

    public override Task<ShowPolicyResponse> ShowPolicy(ShowPolicyRequest request, ServerCallContext context)
    {
        var p = _state.Policy.CurrentPolicy;
        return Task.FromResult(p is null
            ? new ShowPolicyResponse()
            : new ShowPolicyResponse { Text = p.Text, Sha256 = p.Sha256, AppliedAt = ProtoMapper.Time(p.AppliedAt) });
    }

    public override async Task<CheckAccessResponse> CheckAccess(CheckAccessRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var decision = await _state.Grants.CheckAccessAsync(ProtoMapper.Subject(request.From), ProtoMapper.Subject(request.To),
            (int)Math.Min(request.Port, int.MaxValue), ProtoMapper.ProtocolOrTcp(request.Protocol),
            ProtoMapper.Time(request.At, "at"), context.CancellationToken);
        return new CheckAccessResponse
        {
            Allowed = decision.Allowed,
            AllowedBy = decision.AllowedBy,
            Until = decision.Until is { } u ? ProtoMapper.Time(u) : null,
            Explanation = decision.Explanation,
        };
    }

    public override async Task<ListAuditResponse> ListAudit(ListAuditRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var since = ProtoMapper.Time(request.Since, "since")?.ToUnixTimeMilliseconds() ?? 0;
        var limit = request.Limit == 0 ? 1000 : (int)Math.Min(request.Limit, 100_000);
        var afterSeq = (long)Math.Min(request.AfterSeq, long.MaxValue);
        var response = new ListAuditResponse();
        response.Events.AddRange((await _store.Audit.ListAsync(afterSeq, since, limit, context.CancellationToken)).Select(ProtoMapper.Audit));
        return response;
    }

    public override async Task FollowAudit(FollowAuditRequest request, IServerStreamWriter<AuditEvent> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var ct = context.CancellationToken;

        var sinceTime = ProtoMapper.Time(request.Since, "since");

        // Subscribe before replaying so nothing appended in between is missed; seq de-duplicates the overlap.
        using var follower = _audit.Follow();
        long lastSeq = 0;
        if (sinceTime is not null)
        {
            var since = sinceTime.Value.ToUnixTimeMilliseconds();
            while (true)
            {
                var batch = await _store.Audit.ListAsync(lastSeq, since, 1000, ct);
                if (batch.Count == 0)
                {
                    break;
                }

                foreach (var r in batch)
                {
                    await responseStream.WriteAsync(ProtoMapper.Audit(r), ct);
                    lastSeq = r.Seq;
                }
            }
        }

        await foreach (var r in follower.Reader.ReadAllAsync(ct))
        {
            if (r.Seq > lastSeq)
            {
                await responseStream.WriteAsync(ProtoMapper.Audit(r), ct);
                lastSeq = r.Seq;
            }
        }
    }

    public override async Task<VerifyAuditResponse> VerifyAudit(VerifyAuditRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // The head is read first: the walk then covers at least what it signs, and meshctl checks the two against each other itself.
        var head = await _audit.GetHeadAsync(context.CancellationToken);
        var v = await _audit.VerifyAsync(context.CancellationToken);
        return new VerifyAuditResponse
        {
            Ok = v.Ok,
            Checked = (ulong)v.Checked,
            FirstBadSeq = (ulong)v.FirstBadSeq,
            Problem = v.Problem,
            Head = head is null ? null : new AuditHead
            {
                Seq = (ulong)head.Seq,
                Hash = head.Hash,
                Time = ProtoMapper.Time(head.Time),
                Signature = Google.Protobuf.ByteString.CopyFrom(head.Signature),
            },
            AuditKey = _audit.PublicKeyText,
        };
    }
}
