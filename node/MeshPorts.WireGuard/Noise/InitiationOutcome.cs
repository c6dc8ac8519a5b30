namespace MeshPorts.WireGuard.Noise;

internal enum InitiationOutcome
{
    Accepted,
    DecryptFailed,
    StaleTimestamp,
    Flood,
}
