namespace MeshPorts.Coordinator.State.Access;

/// <summary>What gave a permission: a standing policy rule or a temporary grant (the node treats them alike, but shows which).</summary>
internal enum PermissionSource
{
    Policy,
    Grant,
}
