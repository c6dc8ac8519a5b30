using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.State.Netmaps;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Access;

/// <summary>Temporary grants, bound to node identities, and the access check that answers against rules and grants.</summary>
internal sealed class GrantControl
{
    private readonly MeshContext _ctx;
    private readonly MeshModel _model;
    private readonly NetmapRecompute _recompute;

    public GrantControl(MeshContext ctx, MeshModel model, NetmapRecompute recompute)
    {
        _ctx = ctx;
        _model = model;
        _recompute = recompute;
    }

    /// <summary>Grants <paramref name="subject"/> access to <paramref name="target"/>:PORT/PROTO for <paramref name="duration"/>.</summary>
    public async Task<GrantRecord> AddGrantAsync(Subject subject, Subject target, int port, PortProtocol protocol, TimeSpan? duration, string reason,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (!target.IsTarget)
        {
            throw new StateException(StateError.InvalidArgument, $"'{target}': a target is a node name or tag:NAME", RequestField.GrantTo);
        }

        PortCheck.Require(port);
        if (duration is null || duration <= TimeSpan.Zero)
        {
            throw new StateException(StateError.InvalidArgument, "is required and must be positive", RequestField.GrantDuration,
                new NextStep(NextStepKind.Example, "1h"));
        }

        if (duration > _ctx.Options.MaxGrantDuration)
        {
            throw new StateException(StateError.InvalidArgument,
                $"{DurationText.Format(duration.Value)} exceeds the cap of {DurationText.Format(_ctx.Options.MaxGrantDuration)}; ask for at most that, or use a policy rule for standing access",
                RequestField.GrantDuration);
        }

        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            await RequireKnownLockedAsync(subject, RequestField.GrantFrom, cancellationToken);
            await RequireKnownLockedAsync(target, RequestField.GrantTo, cancellationToken);
            var now = _ctx.Now;
            var grant = new GrantRecord
            {
                Id = MeshModel.NewId("g_", 5),
                Subject = subject,
                Target = target,
                SubjectNodeId = subject.Kind == SubjectKind.Node ? _model.RequireByName(subject.Name).Id : null,
                TargetNodeId = target.Kind == SubjectKind.Node ? _model.RequireByName(target.Name).Id : null,
                Port = port,
                Protocol = protocol,
                CreatedAt = now,
                ExpiresAt = now + (long)duration.Value.TotalMilliseconds,
                Reason = reason.Trim(),
            };
            var audit = _ctx.Audit.Event("grant.added", "admin", grant.Id, "ok",
                new
                {
                    from = grant.Subject.ToString(),
                    to = grant.Target.ToString(),
                    fromNodeId = grant.SubjectNodeId,
                    toNodeId = grant.TargetNodeId,
                    port,
                    protocol = protocol.ToText(),
                    expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(grant.ExpiresAt),
                    reason = grant.Reason,
                });
            await _ctx.Store.Grants.InsertAsync(grant, audit, cancellationToken);
            _model.Grants.Add(grant);
            _ctx.Metrics.GrantAdded();
            _recompute.RecomputeLocked(NetmapChange.Grant(grant));
            return grant;
        }
        finally
        {
            _model.Gate.Release();
        }
    }

    /// <summary>Unknown subjects are refused: a typo in a grant would otherwise silently grant nothing.</summary>
    private async Task RequireKnownLockedAsync(Subject s, RequestField field, CancellationToken cancellationToken)
    {
        var known = s.Kind switch
        {
            SubjectKind.Node => _model.Nodes.Values.Any(n => n.Name == s.Name),
            _ => _model.Nodes.Values.Any(n => s.Covers(n)) || (await _ctx.Store.Tokens.ListAsync(cancellationToken))
                .Any(t => !t.Revoked && t.ExpiresAt > _ctx.Now && (s.Kind == SubjectKind.User ? t.User == s.Name : t.Tags.Contains(s.Name))),
        };
        if (!known)
        {
            throw s.Kind == SubjectKind.Node
                ? new StateException(StateError.InvalidArgument, $"'{s}': no such node", field, new NextStep(NextStepKind.ListNodes))
                : new StateException(StateError.InvalidArgument, $"'{s}': no node or live token carries it; check the spelling", field);
        }
    }

    public async Task<IReadOnlyList<GrantRecord>> ListGrantsAsync(bool includeInactive, CancellationToken cancellationToken)
    {
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            var now = _ctx.Now;
            return _model.Grants.Where(g => includeInactive || AccessEvaluator.IsGrantActive(g, now)).ToList();
        }
        finally
        {
            _model.Gate.Release();
        }
    }

    public bool IsGrantActive(GrantRecord grant) => AccessEvaluator.IsGrantActive(grant, _ctx.Now);

    public async Task<GrantRecord> RevokeGrantAsync(string id, CancellationToken cancellationToken)
    {
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            var index = _model.Grants.FindIndex(g => g.Id == id);
            if (index < 0)
            {
                throw new StateException(StateError.NotFound, $"no grant with id '{id}'", next: new NextStep(NextStepKind.ListGrants));
            }

            if (_model.Grants[index].RevokedAt is not null)
            {
                throw new StateException(StateError.FailedPrecondition, $"grant {id} was already revoked");
            }

            var now = _ctx.Now;
            await _ctx.Store.Grants.RevokeAsync(id, now, _ctx.Audit.Event("grant.revoked", "admin", id, "ok", null), cancellationToken);
            _model.Grants[index] = _model.Grants[index] with { RevokedAt = now };
            _recompute.RecomputeLocked(NetmapChange.Grant(_model.Grants[index]));
            return _model.Grants[index];
        }
        finally
        {
            _model.Gate.Release();
        }
    }

    public async Task<AccessDecision> CheckAccessAsync(Subject subject, Subject target, int port, PortProtocol protocol, DateTimeOffset? at,
        CancellationToken cancellationToken)
    {
        PortCheck.Require(port);
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            foreach (var s in new[] { subject, target })
            {
                if (s.Kind == SubjectKind.Node && _model.FindByName(s.Name) is null)
                {
                    throw new StateException(StateError.InvalidArgument, $"'{s}': no such node", next: new NextStep(NextStepKind.ListNodes));
                }
            }

            return AccessEvaluator.Check(_model.Nodes.Values, _model.Policy.Rules, _model.Grants, subject, target, port, protocol, at?.ToUnixTimeMilliseconds() ?? _ctx.Now);
        }
        finally
        {
            _model.Gate.Release();
        }
    }
}
