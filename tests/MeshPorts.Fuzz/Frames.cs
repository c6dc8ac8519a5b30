using System.Buffers.Binary;

namespace MeshPorts.Fuzz;

/// <summary>
/// Cuts one fuzz input into several messages: each is a 2-byte big-endian length and that many bytes;
/// a short tail is the last message. Lets one input be a sequence (a handshake, then data; a batch).
/// </summary>
internal static class Frames
{
    public static List<byte[]> Split(ReadOnlySpan<byte> data, int max)
    {
        var parts = new List<byte[]>();
        while (data.Length > 0 && parts.Count < max)
        {
            if (data.Length < 2)
            {
                parts.Add(data.ToArray());
                break;
            }

            var length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(data), data.Length - 2);
            parts.Add(data.Slice(2, length).ToArray());
            data = data[(2 + length)..];
        }

        return parts;
    }

    public static byte[] Join(params byte[][] parts)
    {
        var output = new List<byte>();
        foreach (var part in parts)
        {
            output.Add((byte)(part.Length >> 8));
            output.Add((byte)part.Length);
            output.AddRange(part);
        }

        return [.. output];
    }
}
