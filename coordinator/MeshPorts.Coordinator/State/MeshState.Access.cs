using System.Net;
using System.Security.Cryptography;
using System.Text;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.State.Policy;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State;

/// <summary>Grants, policy and access checks.</summary>
internal sealed partial class MeshState
{
    /// <summary>Grants <paramref name="subject"/> access to <paramref name="target"/>:PORT/PROTO for <paramref name="duration"/>.</summary>
    public async Task<GrantRecord> AddGrantAsync(Subject subject, Subject target, int port, PortProtocol protocol, TimeSpan? duration, string reason,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (!target.IsTarget)
        {
            throw new StateException(StateError.InvalidArgument, $"'{target}': a target is a node name or tag:NAME", RequestField.GrantTo);
        }

        CheckPort(port);
        if (duration is null || duration <= TimeSpan.Zero)
        {
            throw new StateException(StateError.InvalidArgument, "is required and must be positive", RequestField.GrantDuration,
                new NextStep(NextStepKind.Example, "1h"));
        }

        if (duration > _options.MaxGrantDuration)
        {
            throw new StateException(StateError.InvalidArgument,
                $"{DurationText.Format(duration.Value)} exceeds the cap of {DurationText.Format(_options.MaxGrantDuration)}; ask for at most that, or use a policy rule for standing access",
                RequestField.GrantDuration);
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            await RequireKnownLockedAsync(subject, RequestField.GrantFrom, cancellationToken);
            await RequireKnownLockedAsync(target, RequestField.GrantTo, cancellationToken);
            var now = Now;
            var grant = new GrantRecord
            {
                Id = NewId("g_", 5),
                Subject = subject,
                Target = target,
                SubjectNodeId = subject.Kind == SubjectKind.Node ? RequireByName(subject.Name).Id : null,
                TargetNodeId = target.Kind == SubjectKind.Node ? RequireByName(target.Name).Id : null,
                Port = port,
                Protocol = protocol,
                CreatedAt = now,
                ExpiresAt = now + (long)duration.Value.TotalMilliseconds,
                Reason = reason.Trim(),
            };
            await _store.Grants.InsertAsync(grant, cancellationToken);
            _grants.Add(grant);
            _metrics.GrantAdded();
            await _audit.AppendAsync("grant.added", "admin", grant.Id, "ok",
                new
                {
                    from = grant.Subject.ToString(),
                    to = grant.Target.ToString(),
                    fromNodeId = grant.SubjectNodeId,
                    toNodeId = grant.TargetNodeId,
                    port,
                    protocol = protocol.ToText(),
                    expiresAt = grant.ExpiresAt,
                    reason = grant.Reason,
                },
                cancellationToken);
            await RecomputeLockedAsync(cancellationToken);
            return grant;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Unknown subjects are refused: a typo in a grant would otherwise silently grant nothing.</summary>
    private async Task RequireKnownLockedAsync(Subject s, RequestField field, CancellationToken cancellationToken)
    {
        var known = s.Kind switch
        {
            SubjectKind.Node => _nodes.Values.Any(n => n.Name == s.Name),
            _ => _nodes.Values.Any(n => s.Covers(n)) || (await _store.Tokens.ListAsync(cancellationToken))
                .Any(t => !t.Revoked && t.ExpiresAt > Now && (s.Kind == SubjectKind.User ? t.User == s.Name : t.Tags.Contains(s.Name))),
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
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = Now;
            return _grants.Where(g => includeInactive || AccessEvaluator.IsGrantActive(g, now)).ToList();
        }
        finally
        {
            _gate.Release();
        }
    }

    public bool IsGrantActive(GrantRecord grant) => AccessEvaluator.IsGrantActive(grant, Now);

    public async Task<GrantRecord> RevokeGrantAsync(string id, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var index = _grants.FindIndex(g => g.Id == id);
            if (index < 0)
            {
                throw new StateException(StateError.NotFound, $"no grant with id '{id}'", next: new NextStep(NextStepKind.ListGrants));
            }

            if (_grants[index].RevokedAt is not null)
            {
                throw new StateException(StateError.FailedPrecondition, $"grant {id} was already revoked");
            }

            var now = Now;
            await _store.Grants.RevokeAsync(id, now, cancellationToken);
            _grants[index] = _grants[index] with { RevokedAt = now };
            await _audit.AppendAsync("grant.revoked", "admin", id, "ok", null, cancellationToken);
            await RecomputeLockedAsync(cancellationToken);
            return _grants[index];
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Validates, runs the file's tests against its own rules, and only then makes it live.</summary>
    public Task<PolicyResult> ApplyPolicyAsync(string text, CancellationToken cancellationToken) => RunPolicyAsync(text, apply: true, cancellationToken);

    /// <summary>Runs the file's tests against the live rules and grants; changes nothing.</summary>
    public Task<PolicyResult> TestPolicyAsync(string text, CancellationToken cancellationToken) => RunPolicyAsync(text, apply: false, cancellationToken);

    private async Task<PolicyResult> RunPolicyAsync(string text, bool apply, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        var errors = new List<PolicyError>();
        var doc = PolicyParser.Parse(text, errors);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            foreach (var (line, s) in doc.Rules.SelectMany(r => new[] { (r.Line, r.From), (r.Line, r.To) })
                         .Concat(doc.Tests.SelectMany(t => new[] { (t.Line, t.From), (t.Line, t.To) })))
            {
                if (s.Kind == SubjectKind.Node && FindByName(s.Name) is null)
                {
                    errors.Add(new PolicyError(line, $"unknown node '{s.Name}'; use an enrolled node name, user:NAME or tag:NAME"));
                }
            }

            var outcomes = new List<PolicyTestOutcome>();
            if (errors.Count == 0)
            {
                var rules = apply ? doc.Rules : _policy.Rules;
                foreach (var t in doc.Tests)
                {
                    var decision = AccessEvaluator.Check(_nodes.Values, rules, _grants, t.From, t.To, t.Port, t.Protocol, t.At ?? Now);
                    var passed = decision.Allowed == t.ExpectAllow;
                    outcomes.Add(new PolicyTestOutcome(t, passed, decision.Allowed ? "allowed by " + decision.AllowedBy : "denied: " + decision.Explanation));
                }
            }

            var ok = errors.Count == 0 && outcomes.All(o => o.Passed);
            if (apply)
            {
                if (ok)
                {
                    var record = new PolicyRecord(text, sha, Now);
                    await _store.Policies.SaveAsync(record, cancellationToken);
                    _policy = doc;
                    _policyRecord = record;
                    await _audit.AppendAsync("policy.applied", "admin", sha, "ok", new { rules = doc.Rules.Count, tests = doc.Tests.Count }, cancellationToken);
                    await RecomputeLockedAsync(cancellationToken);
                }
                else
                {
                    await _audit.AppendAsync("policy.rejected", "admin", sha, "failed",
                        new { errors = errors.Count, failedTests = outcomes.Count(o => !o.Passed) }, cancellationToken);
                }
            }

            return new PolicyResult(ok, errors, outcomes, doc.Rules.Count, sha);
        }
        finally
        {
            _gate.Release();
        }
    }

    public PolicyRecord? CurrentPolicy => _policyRecord;

    public async Task<AccessDecision> CheckAccessAsync(Subject subject, Subject target, int port, PortProtocol protocol, DateTimeOffset? at,
        CancellationToken cancellationToken)
    {
        CheckPort(port);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            foreach (var s in new[] { subject, target })
            {
                if (s.Kind == SubjectKind.Node && FindByName(s.Name) is null)
                {
                    throw new StateException(StateError.InvalidArgument, $"'{s}': no such node", next: new NextStep(NextStepKind.ListNodes));
                }
            }

            return AccessEvaluator.Check(_nodes.Values, _policy.Rules, _grants, subject, target, port, protocol, at?.ToUnixTimeMilliseconds() ?? Now);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static void CheckPort(int port)
    {
        if (!Ports.IsValid(port))
        {
            throw new StateException(StateError.InvalidArgument, FormattableString.Invariant($"port {port} must be 1-65535"));
        }
    }

    /// <summary>
    /// Audits a node's denied-flow report and raises one alert per probing source per window. A report is
    /// the node's word only: each flow must be one the node could have seen (to its own overlay address,
    /// in range), invalid ones are dropped and counted, and an alert names a source only as the enrolled
    /// node holding that overlay address, never an address a node typed in.
    /// </summary>
    public async Task ReportDeniedFlowsAsync(NodeRecord node, IReadOnlyList<DeniedFlowInput> flows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(flows);
        var now = Now;
        if (!TryTakeReportSlot(node.Id, now))
        {
            _metrics.DeniedReportRefused();
            throw new StateException(StateError.ResourceExhausted, FormattableString.Invariant(
                $"denied-flow reports from one node must be at least {_options.MinDeniedReportInterval.TotalSeconds:0.###}s apart; send the next one later"));
        }

        if (flows.Count > _options.MaxDeniedFlowsPerReport)
        {
            _metrics.DeniedReportRefused();
            throw new StateException(StateError.ResourceExhausted, FormattableString.Invariant(
                $"a denied-flow report carries at most {_options.MaxDeniedFlowsPerReport} flows; got {flows.Count}"));
        }

        var ownAddresses = new[] { IPAddress.Parse(OverlayAddressing.Ipv4(node.AddressIndex)), IPAddress.Parse(_addressing.Ipv6(node.AddressIndex)) };
        var directory = _directory;
        var accepted = new List<(DeniedFlowInput Flow, long Count, NodeRecord? From)>(flows.Count);
        foreach (var f in flows)
        {
            if (DeniedFlowCheck.IsValid(f, ownAddresses, out var source, out var count))
            {
                accepted.Add((f, count, directory.NodeAt(source)));
            }
        }

        if (accepted.Count < flows.Count)
        {
            _metrics.DeniedFlowsDropped(flows.Count - accepted.Count);
        }

        if (accepted.Count == 0)
        {
            return;
        }

        await _audit.AppendAsync("flow.denied", "node:" + node.Name, node.Name, "denied",
            new
            {
                flows = accepted.Count,
                dropped = flows.Count - accepted.Count,
                packets = accepted.Sum(a => a.Count),
                sample = accepted.Take(20).Select(a => a.From is { } from
                    ? FormattableString.Invariant($"node:{from.Name}({a.Flow.SourceAddress})->{a.Flow.Port}/{a.Flow.Protocol}")
                    : FormattableString.Invariant($"{a.Flow.SourceAddress}(not an enrolled node)->{a.Flow.Port}/{a.Flow.Protocol}")).ToArray(),
            },
            cancellationToken);
        foreach (var (f, _, from) in accepted)
        {
            if (from is null)
            {
                continue;
            }

            var distinct = _flows.Record(from.Id, FormattableString.Invariant($"{node.Name}:{f.Port}/{f.Protocol}"), now);
            if (distinct is not null)
            {
                await _audit.AppendAsync("flow.alert", "node:" + node.Name, from.Name, "alert",
                    new
                    {
                        source = from.Name,
                        sourceAddress = f.SourceAddress,
                        distinctTargets = distinct.Value,
                        window = DurationText.Format(_options.ProbeAlertWindow),
                        reportedBy = node.Name,
                    },
                    cancellationToken);
            }
        }
    }

    /// <summary>One report per node per <see cref="Options.CoordinatorOptions.MinDeniedReportInterval"/>, taken atomically.</summary>
    private bool TryTakeReportSlot(string nodeId, long now)
    {
        var min = (long)_options.MinDeniedReportInterval.TotalMilliseconds;
        while (true)
        {
            if (!_lastDeniedReport.TryGetValue(nodeId, out var last))
            {
                if (_lastDeniedReport.TryAdd(nodeId, now))
                {
                    return true;
                }

                continue;
            }

            // A clock stepped back (now < last) restarts the gap rather than refusing until it catches up.
            if (now >= last && now - last < min)
            {
                return false;
            }

            if (_lastDeniedReport.TryUpdate(nodeId, now, last))
            {
                return true;
            }
        }
    }
}
