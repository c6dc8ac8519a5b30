using System.Security.Cryptography;
using System.Text;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.State.Netmaps;
using MeshPorts.Coordinator.State.Policy;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Access;

/// <summary>The policy file: parsed with the shared grammar, checked against the enrolled nodes, tested, then applied.</summary>
internal sealed class PolicyControl
{
    private readonly MeshContext _ctx;
    private readonly MeshModel _model;
    private readonly NetmapRecompute _recompute;

    public PolicyControl(MeshContext ctx, MeshModel model, NetmapRecompute recompute)
    {
        _ctx = ctx;
        _model = model;
        _recompute = recompute;
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
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            foreach (var (line, s) in doc.Rules.SelectMany(r => new[] { (r.Line, r.From), (r.Line, r.To) })
                         .Concat(doc.Tests.SelectMany(t => new[] { (t.Line, t.From), (t.Line, t.To) })))
            {
                if (s.Kind == SubjectKind.Node && _model.FindByName(s.Name) is null)
                {
                    errors.Add(new PolicyError(line, $"unknown node '{s.Name}'; use an enrolled node name, user:NAME or tag:NAME"));
                }
            }

            var outcomes = new List<PolicyTestOutcome>();
            if (errors.Count == 0)
            {
                var rules = apply ? doc.Rules : _model.Policy.Rules;
                foreach (var t in doc.Tests)
                {
                    var decision = AccessEvaluator.Check(_model.Nodes.Values, rules, _model.Grants, t.From, t.To, t.Port, t.Protocol, t.At ?? _ctx.Now);
                    var passed = decision.Allowed == t.ExpectAllow;
                    outcomes.Add(new PolicyTestOutcome(t, passed, decision.Allowed ? "allowed by " + decision.AllowedBy : "denied: " + decision.Explanation));
                }
            }

            var ok = errors.Count == 0 && outcomes.All(o => o.Passed);
            if (apply)
            {
                if (ok)
                {
                    var record = new PolicyRecord(text, sha, _ctx.Now);
                    await _ctx.Store.Policies.SaveAsync(record,
                        _ctx.Audit.Event("policy.applied", "admin", sha, "ok", new { rules = doc.Rules.Count, tests = doc.Tests.Count }), cancellationToken);
                    _model.Policy = doc;
                    _model.PolicyRecord = record;

                    // A rule can pair any nodes: every netmap is recomputed.
                    _recompute.RecomputeAllLocked();
                }
                else
                {
                    await _ctx.Audit.AppendAsync("policy.rejected", "admin", sha, "failed",
                        new { errors = errors.Count, failedTests = outcomes.Count(o => !o.Passed) }, cancellationToken);
                }
            }

            return new PolicyResult(ok, errors, outcomes, doc.Rules.Count, sha);
        }
        finally
        {
            _model.Gate.Release();
        }
    }

    public PolicyRecord? CurrentPolicy => _model.PolicyRecord;
}
