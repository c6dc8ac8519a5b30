namespace MeshPorts.Node.LocalControl.Status;

internal sealed record ExposedStatusDocument(
    int Port,
    string Protocol,
    string? Service,
    bool Listening,
    long Connections,
    long Active,
    long Failures);
