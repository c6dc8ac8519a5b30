using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace MeshPorts.Coordinator.Auth;

/// <summary>
/// The exact bytes a node signs with its Ed25519 machine key (node.proto documents the same layout).
/// Domain-separation prefixes keep an enrollment signature from ever passing as a call signature.
/// </summary>
internal static class NodeSignatures
{
    public const int KeySize = 32;

    private static readonly byte[] EnrollContext = Encoding.ASCII.GetBytes("meshports-enroll-v1\0");
    private static readonly byte[] AuthContext = Encoding.ASCII.GetBytes("meshports-auth-v1\0");

    public static byte[] EnrollBytes(ReadOnlySpan<byte> machineKey, ReadOnlySpan<byte> wireGuardKey, long timestampMs, string joinSecret)
    {
        using var ms = new MemoryStream();
        ms.Write(EnrollContext);
        ms.Write(machineKey);
        ms.Write(wireGuardKey);
        WriteInt64(ms, timestampMs);
        ms.Write(SHA256.HashData(Encoding.UTF8.GetBytes(joinSecret)));
        return ms.ToArray();
    }

    public static byte[] AuthBytes(string method, ReadOnlySpan<byte> nonce, long timestampMs, ReadOnlySpan<byte> bodyHash)
    {
        using var ms = new MemoryStream();
        ms.Write(AuthContext);
        ms.Write(Encoding.UTF8.GetBytes(method));
        ms.WriteByte(0);
        ms.Write(nonce);
        WriteInt64(ms, timestampMs);
        ms.Write(bodyHash);
        return ms.ToArray();
    }

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

    private static void WriteInt64(Stream stream, long value)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(buffer, value);
        stream.Write(buffer);
    }
}
