using System.Buffers.Binary;
using System.Security.Cryptography;

namespace MeshPorts.Node.Paths;

/// <summary>A probe's 12-byte transaction id as a value (a dictionary key without allocation).</summary>
internal readonly record struct ProbeTxId(ulong High, uint Low)
{
    public const int Size = 12;

    public static ProbeTxId NewRandom()
    {
        Span<byte> bytes = stackalloc byte[Size];
        RandomNumberGenerator.Fill(bytes);
        return Read(bytes);
    }

    public static ProbeTxId Read(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt32BigEndian(bytes[8..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Low);
    }
}
