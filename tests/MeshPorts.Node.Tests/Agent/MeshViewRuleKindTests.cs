using Google.Protobuf.WellKnownTypes;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.Agent;
using MeshPorts.Node.Filter;

namespace MeshPorts.Node.Tests.Agent;

/// <summary>A rule's kind comes from <c>InboundRule.kind</c>; <c>allowed_by</c> is for logs and never decides it.</summary>
public sealed class MeshViewRuleKindTests
{
    private static readonly DateTimeOffset Until = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private static InboundRule Inbound(string id, RuleKind kind, string allowedBy, DateTimeOffset? notAfter) => new()
    {
        Id = id,
        SourceNodeId = "laptop-id",
        Port = 5432,
        Protocol = Protocol.Tcp,
        NotAfter = notAfter is { } end ? Timestamp.FromDateTimeOffset(end) : null,
        AllowedBy = allowedBy,
        Kind = kind,
    };

    private static (IReadOnlyList<FilterRule> Rules, int Rejected) ToFilterRules(params InboundRule[] rules)
    {
        var view = new MeshView();
        view.Apply(WatchEvents.Snapshot(1, WatchEvents.Self("self", WatchEvents.Key(100)), rules: rules));
        var config = view.ToDeviceConfig();
        return (config.Rules, view.Rejected);
    }

    [Fact]
    public void KindPolicy_IsAStandingRule_WhateverAllowedBySays()
    {
        var (rules, rejected) = ToFilterRules(
            Inbound("p-ends", RuleKind.Policy, "grant:looks-like-a-grant", Until),
            Inbound("p-open", RuleKind.Policy, "", notAfter: null));

        Assert.All(rules, r => Assert.Equal(FilterRuleKind.Rule, r.Kind));
        Assert.Equal(["p-ends", "p-open"], rules.Select(r => r.Id));
        Assert.Equal(Until, Assert.Single(rules, r => r.Id == "p-ends").NotAfter);
        Assert.Equal(0, rejected);
    }

    [Fact]
    public void KindGrant_IsAGrant_WhateverAllowedBySays_AndWithoutAnEndIsRefused()
    {
        var (rules, rejected) = ToFilterRules(
            Inbound("g-ends", RuleKind.Grant, "rule:looks-like-a-rule", Until),
            Inbound("g-endless", RuleKind.Grant, "grant:g-endless", notAfter: null));

        var grant = Assert.Single(rules);
        Assert.Equal("g-ends", grant.Id);
        Assert.Equal(FilterRuleKind.Grant, grant.Kind);
        Assert.Equal(Until, grant.NotAfter);
        Assert.Equal(1, rejected);
    }

    [Fact]
    public void KindUnspecified_FromAnOlderCoordinator_IsAGrant_AndWithoutAnEndIsRefused()
    {
        var (rules, rejected) = ToFilterRules(
            Inbound("old-ends", RuleKind.Unspecified, "rule:web", Until),
            Inbound("old-endless", RuleKind.Unspecified, "rule:web", notAfter: null));

        var grant = Assert.Single(rules);
        Assert.Equal("old-ends", grant.Id);
        Assert.Equal(FilterRuleKind.Grant, grant.Kind);
        Assert.Equal(1, rejected);
    }
}
