namespace MeshPorts.Coordinator.Storage;

/// <summary>An enrolled node. Keys are raw 32-byte values; times are Unix milliseconds.</summary>
internal sealed record NodeRecord
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public string User { get; init; } = "";

    public IReadOnlyList<string> Tags { get; init; } = [];

    public required byte[] MachineKey { get; init; }

    public required byte[] WireGuardKey { get; init; }

    /// <summary>The key before the last rotation, kept until every peer has the new one.</summary>
    public byte[]? PreviousWireGuardKey { get; init; }

    public long KeyExpiresAt { get; init; }

    /// <summary>The end of the key valid until <see cref="KeyExpiresAt"/> is in the audit log.</summary>
    public bool KeyExpiryAudited { get; init; }

    /// <summary>When an admin asked the node to rotate; cleared when it does. Whichever coordinator the node watches tells it.</summary>
    public long? RotateRequestedAt { get; init; }

    /// <summary>Host index inside both overlay prefixes (100.64.0.0/10 + n, ULA + n).</summary>
    public int AddressIndex { get; init; }

    public IReadOnlyList<ServiceRecord> Services { get; init; } = [];

    public IReadOnlyList<string> Endpoints { get; init; } = [];

    public long EnrolledAt { get; init; }

    public string TokenId { get; init; } = "";

    public ulong AppliedSerial { get; init; }
}
