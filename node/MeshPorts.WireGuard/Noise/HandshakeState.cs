namespace MeshPorts.WireGuard.Noise;

internal enum HandshakeState
{
    None,
    InitiationCreated,
    InitiationConsumed,
    ResponseCreated,
    ResponseConsumed,
}
