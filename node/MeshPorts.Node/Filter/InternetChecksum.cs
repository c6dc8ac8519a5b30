using System.Buffers.Binary;

namespace MeshPorts.Node.Filter;

/// <summary>The RFC 1071 ones'-complement sum used by IPv4, TCP, UDP and ICMP.</summary>
internal static class InternetChecksum
{
    /// <summary>Adds big-endian 16-bit words of <paramref name="data"/> to a running sum (odd tail padded with zero).</summary>
    public static uint Add(uint sum, ReadOnlySpan<byte> data)
    {
        var i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (uint)(data[i] << 8);
        }

        // Fold as we go so long inputs cannot overflow 32 bits.
        return (sum & 0xFFFF) + (sum >> 16);
    }

    public static ushort Finish(uint sum)
    {
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
