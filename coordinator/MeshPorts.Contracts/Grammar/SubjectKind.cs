namespace MeshPorts.Contracts.Grammar;

/// <summary>Who a rule or grant is about: one node, every node of a user, or every node with a tag.</summary>
public enum SubjectKind
{
    Node,
    User,
    Tag,
}
