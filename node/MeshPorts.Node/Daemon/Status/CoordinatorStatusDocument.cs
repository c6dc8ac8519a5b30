namespace MeshPorts.Node.Daemon.Status;

internal sealed record CoordinatorStatusDocument(
    string Url,
    bool Connected,
    ulong Serial,
    DateTimeOffset? LastContact,
    string? LastError,
    int KeyRotations);
