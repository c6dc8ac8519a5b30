namespace MeshPorts.Node.Paths;

/// <summary>The first plaintext byte of a probe (docs/nat.md, "Probes").</summary>
internal enum ProbeKind : byte
{
    Ping = 1,
    Pong = 2,
}
