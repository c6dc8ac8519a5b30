namespace MeshPorts.Node.LocalControl.Status;

internal sealed record CoordinatorStatusDocument(
    string Url,
    bool Connected,
    ulong Serial,
    DateTimeOffset? LastContact,
    string? LastError,
    int KeyRotations);
