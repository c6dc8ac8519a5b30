namespace MeshPorts.Node.Names;

/// <summary>What <see cref="NameAnswerer"/> made of one datagram.</summary>
internal enum NameDecisionKind
{
    /// <summary>Not a usable query: send nothing (counted as dns-malformed).</summary>
    Drop,

    /// <summary>Send <see cref="NameDecision.Response"/> back.</summary>
    Reply,

    /// <summary>A name outside the suffix from the host itself: forward the query bytes to the host's resolvers.</summary>
    Forward,
}

internal readonly record struct NameDecision(NameDecisionKind Kind, byte[]? Response, ushort QueryId)
{
    public static NameDecision Drop { get; } = new(NameDecisionKind.Drop, null, 0);
}
