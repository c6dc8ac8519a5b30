namespace MeshPorts.WireGuard.Crypto;

/// <summary>The paper's MAC(key, input) = Keyed-BLAKE2s(key, input, 16) and the HASH(label || key) keys.</summary>
internal static class Mac
{
    public const int Size = 16;

    public static void Compute(Span<byte> output, ReadOnlySpan<byte> key, ReadOnlySpan<byte> input) =>
        Blake2s.KeyedHash(output[..Size], key, input);

    /// <summary>HASH(label || publicKey): the mac1 key ("mac1----") and cookie key ("cookie--").</summary>
    public static void DeriveLabelKey(Span<byte> output, ReadOnlySpan<byte> label, ReadOnlySpan<byte> publicKey) =>
        Blake2s.Hash(output[..32], label, publicKey);
}
