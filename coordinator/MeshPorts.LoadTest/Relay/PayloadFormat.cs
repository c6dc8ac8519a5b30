using System.Buffers.Binary;

namespace MeshPorts.LoadTest.Relay;

/// <summary>
/// What a simulated node puts in each datagram: the first bytes of a WireGuard data message (type 4 and
/// three zero bytes), then the sender's index, a sequence number, the send time (Stopwatch ticks: one clock
/// for both ends, so one-way latency is exact) and the step; the rest is filler. The relay never reads it.
/// </summary>
internal static class PayloadFormat
{
    public const int MinSize = 32;

    public static void Write(Span<byte> payload, int sender, ulong sequence, long timestamp, byte step)
    {
        payload[0] = 4;
        payload[1] = payload[2] = payload[3] = 0;
        BinaryPrimitives.WriteInt32BigEndian(payload[4..], sender);
        BinaryPrimitives.WriteUInt64BigEndian(payload[8..], sequence);
        BinaryPrimitives.WriteInt64BigEndian(payload[16..], timestamp);
        payload[24] = step;
    }

    /// <summary>False for anything that is not a datagram of this format.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out int sender, out long timestamp, out byte step)
    {
        sender = 0;
        timestamp = 0;
        step = 0;
        if (payload.Length < MinSize || payload[0] != 4 || payload[1] != 0 || payload[2] != 0 || payload[3] != 0)
        {
            return false;
        }

        sender = BinaryPrimitives.ReadInt32BigEndian(payload[4..]);
        timestamp = BinaryPrimitives.ReadInt64BigEndian(payload[16..]);
        step = payload[24];
        return true;
    }
}
