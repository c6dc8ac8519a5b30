namespace MeshPorts.Node.Paths;

internal enum PathKind
{
    None,
    Direct,
    Relay,
}
