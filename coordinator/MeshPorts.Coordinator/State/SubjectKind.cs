namespace MeshPorts.Coordinator.State;

internal enum SubjectKind
{
    Node,
    User,
    Tag,
}
