namespace MeshPorts.Node.Expose;

/// <summary>One entry of <c>status --json</c>'s <c>exposed</c> list: what is exposed and how it is doing.</summary>
internal sealed record ExposedPortStatus(
    ushort Port,
    string Protocol,
    string? Service,
    bool Listening,
    long Connections,
    long Active,
    long Failures,
    long BytesToService,
    long BytesFromService);
