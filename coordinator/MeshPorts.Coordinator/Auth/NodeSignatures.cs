using NSec.Cryptography;
using Shared = MeshPorts.Contracts.Auth.NodeSignatures;

namespace MeshPorts.Coordinator.Auth;

/// <summary>
/// The coordinator's side of node signatures: the signed bytes come from Contracts (the node builds the same
/// ones there); verifying them is the coordinator's alone.
/// </summary>
internal static class NodeSignatures
{
    public const int KeySize = Shared.KeySize;

    public static byte[] EnrollBytes(ReadOnlySpan<byte> machineKey, ReadOnlySpan<byte> wireGuardKey, long timestampMs, string joinSecret) =>
        Shared.EnrollBytes(machineKey, wireGuardKey, timestampMs, joinSecret);

    public static byte[] AuthBytes(string method, ReadOnlySpan<byte> nonce, long timestampMs, ReadOnlySpan<byte> bodyHash) =>
        Shared.AuthBytes(method, nonce, timestampMs, bodyHash);

    public static bool Verify(ReadOnlySpan<byte> machineKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        var algorithm = SignatureAlgorithm.Ed25519;
        if (machineKey.Length != KeySize || signature.Length != algorithm.SignatureSize)
        {
            return false;
        }

        return PublicKey.TryImport(algorithm, machineKey, KeyBlobFormat.RawPublicKey, out var key) && key is not null
            && algorithm.Verify(key, data, signature);
    }
}
