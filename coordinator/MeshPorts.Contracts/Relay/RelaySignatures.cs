using System.Buffers.Binary;
using System.Security.Cryptography;

namespace MeshPorts.Contracts.Relay;

/// <summary>
/// The exact bytes signed in the relay protocol (relay.proto documents the same layouts), built in one
/// place for the coordinator, the relays and the node. The prefixes keep a ticket signature, a hello
/// signature and a node's call signatures from ever passing as one another.
/// </summary>
public static class RelaySignatures
{
    public const int NonceSize = 32;

    /// <summary>How long a ticket the coordinator signs is good for.</summary>
    public static readonly TimeSpan TicketLifetime = TimeSpan.FromMinutes(10);

    /// <summary>How far a Hello's timestamp may be from the relay's clock.</summary>
    public static readonly TimeSpan HelloSkew = TimeSpan.FromSeconds(60);

    private static ReadOnlySpan<byte> TicketContext => "meshports-relay-ticket-v1\0"u8;

    private static ReadOnlySpan<byte> HelloContext => "meshports-relay-hello-v1\0"u8;

    /// <summary>"meshports-relay-ticket-v1\0" || serialized RelayTicket.</summary>
    public static byte[] TicketBytes(ReadOnlySpan<byte> serializedTicket)
    {
        var result = new byte[TicketContext.Length + serializedTicket.Length];
        TicketContext.CopyTo(result);
        serializedTicket.CopyTo(result.AsSpan(TicketContext.Length));
        return result;
    }

    /// <summary>"meshports-relay-hello-v1\0" || challenge nonce || int64 BE timestamp_ms || SHA-256(serialized ticket).</summary>
    public static byte[] HelloBytes(ReadOnlySpan<byte> challengeNonce, long timestampMs, ReadOnlySpan<byte> serializedTicket)
    {
        var result = new byte[HelloContext.Length + challengeNonce.Length + sizeof(long) + SHA256.HashSizeInBytes];
        var rest = result.AsSpan();
        HelloContext.CopyTo(rest);
        rest = rest[HelloContext.Length..];
        challengeNonce.CopyTo(rest);
        rest = rest[challengeNonce.Length..];
        BinaryPrimitives.WriteInt64BigEndian(rest, timestampMs);
        SHA256.HashData(serializedTicket, rest[sizeof(long)..]);
        return result;
    }
}
