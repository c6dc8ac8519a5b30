namespace MeshPorts.Ctl.Parsing;

/// <summary>Who a rule or grant is about.</summary>
internal enum SubjectKind
{
    Node,
    User,
    Tag,
}
