using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace MeshPorts.Contracts.Auth;

/// <summary>
/// The exact bytes a node signs with its Ed25519 machine key (node.proto documents the same layout). Node and
/// coordinator both build them here, so the two sides cannot drift apart. Domain-separation prefixes keep an
/// enrollment signature from ever passing as a call signature.
/// </summary>
public static class NodeSignatures
{
    public const int KeySize = 32;

    private static ReadOnlySpan<byte> EnrollContext => "meshports-enroll-v1\0"u8;

    private static ReadOnlySpan<byte> AuthContext => "meshports-auth-v1\0"u8;

    /// <summary>"meshports-enroll-v1\0" || machine_pk || wg_pk || int64 BE timestamp_ms || SHA-256(UTF-8 secret).</summary>
    public static byte[] EnrollBytes(ReadOnlySpan<byte> machineKey, ReadOnlySpan<byte> wireGuardKey, long timestampMs, string joinSecret)
    {
        ArgumentNullException.ThrowIfNull(joinSecret);
        var result = new byte[EnrollContext.Length + machineKey.Length + wireGuardKey.Length + sizeof(long) + SHA256.HashSizeInBytes];
        var rest = result.AsSpan();
        Append(ref rest, EnrollContext);
        Append(ref rest, machineKey);
        Append(ref rest, wireGuardKey);
        BinaryPrimitives.WriteInt64BigEndian(rest, timestampMs);
        rest = rest[sizeof(long)..];
        SHA256.HashData(Encoding.UTF8.GetBytes(joinSecret), rest);
        return result;
    }

    /// <summary>"meshports-auth-v1\0" || UTF-8 method || "\0" || nonce || int64 BE timestamp_ms || bodyHash.</summary>
    /// <param name="bodyHash">SHA-256 of the request serialized with its <c>auth</c> field unset.</param>
    public static byte[] AuthBytes(string method, ReadOnlySpan<byte> nonce, long timestampMs, ReadOnlySpan<byte> bodyHash)
    {
        ArgumentNullException.ThrowIfNull(method);
        var methodBytes = Encoding.UTF8.GetBytes(method);
        var result = new byte[AuthContext.Length + methodBytes.Length + 1 + nonce.Length + sizeof(long) + bodyHash.Length];
        var rest = result.AsSpan();
        Append(ref rest, AuthContext);
        Append(ref rest, methodBytes);
        Append(ref rest, [0]);
        Append(ref rest, nonce);
        BinaryPrimitives.WriteInt64BigEndian(rest, timestampMs);
        rest = rest[sizeof(long)..];
        Append(ref rest, bodyHash);
        return result;
    }

    private static void Append(ref Span<byte> destination, ReadOnlySpan<byte> part)
    {
        part.CopyTo(destination);
        destination = destination[part.Length..];
    }
}
