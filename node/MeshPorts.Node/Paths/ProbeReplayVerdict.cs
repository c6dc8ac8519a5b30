namespace MeshPorts.Node.Paths;

internal enum ProbeReplayVerdict
{
    Fresh,
    Replay,
    Full,
}
