namespace MeshPorts.Node.Filter;

/// <summary>Where a rule came from: standing policy, or a temporary grant that always has an end.</summary>
internal enum FilterRuleKind
{
    Rule,
    Grant,
}
