using MeshPorts.Contracts.Auth;
using NSec.Cryptography;

namespace MeshPorts.Coordinator.Auth;

/// <summary>
/// Verifies a node's Ed25519 signature over bytes built by <see cref="NodeSignatures"/> (which the node builds
/// the same way in Contracts); verifying is the coordinator's alone.
/// </summary>
internal static class NodeSignatureCheck
{
    public static bool Verify(ReadOnlySpan<byte> machineKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        var algorithm = SignatureAlgorithm.Ed25519;
        if (machineKey.Length != NodeSignatures.KeySize || signature.Length != algorithm.SignatureSize)
        {
            return false;
        }

        return PublicKey.TryImport(algorithm, machineKey, KeyBlobFormat.RawPublicKey, out var key) && key is not null
            && algorithm.Verify(key, data, signature);
    }
}
