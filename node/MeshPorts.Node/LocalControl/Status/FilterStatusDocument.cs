namespace MeshPorts.Node.LocalControl.Status;

/// <summary>The packet filter's counters: what it let in, refused and cut.</summary>
internal sealed record FilterStatusDocument(
    int Rules,
    int Flows,
    long Allowed,
    long Denied,
    long CutFlows);
