using System.Buffers.Binary;

namespace MeshPorts.Contracts.Audit;

/// <summary>
/// The exact bytes the coordinator signs with its Ed25519 audit key for the chain's head (admin.proto documents
/// the same layout), and the text form of that key in meshctl.conf. The prefix keeps a head signature from
/// ever passing as any other signature.
/// </summary>
public static class AuditHeadSignature
{
    public const int KeySize = 32;

    public const int SignatureSize = 64;

    public const string KeyPrefix = "ed25519:";

    private static ReadOnlySpan<byte> Context => "meshports-audit-head-v1\0"u8;

    /// <summary>"meshports-audit-head-v1\0" || int64 BE seq || the 32-byte head hash || int64 BE time_ms.</summary>
    public static byte[] Bytes(long seq, ReadOnlySpan<byte> headHash, long timeMs)
    {
        if (headHash.Length != AuditHashChain.HashSize)
        {
            throw new ArgumentException($"an audit head hash is {AuditHashChain.HashSize} bytes, not {headHash.Length}", nameof(headHash));
        }

        var result = new byte[Context.Length + sizeof(long) + headHash.Length + sizeof(long)];
        var rest = result.AsSpan();
        Context.CopyTo(rest);
        rest = rest[Context.Length..];
        BinaryPrimitives.WriteInt64BigEndian(rest, seq);
        rest = rest[sizeof(long)..];
        headHash.CopyTo(rest);
        rest = rest[headHash.Length..];
        BinaryPrimitives.WriteInt64BigEndian(rest, timeMs);
        return result;
    }

    /// <summary>"ed25519:" + base64 of the 32-byte public key.</summary>
    public static string FormatKey(ReadOnlySpan<byte> publicKey) => KeyPrefix + Convert.ToBase64String(publicKey);

    public static bool TryParseKey(string? text, out byte[] publicKey)
    {
        publicKey = [];
        if (text is null || !text.StartsWith(KeyPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var bytes = new byte[KeySize + 3];
        if (!Convert.TryFromBase64String(text[KeyPrefix.Length..], bytes, out var written) || written != KeySize)
        {
            return false;
        }

        publicKey = bytes[..KeySize];
        return true;
    }
}
