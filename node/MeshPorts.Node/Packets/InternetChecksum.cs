using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MeshPorts.Node.Packets;

/// <summary>The RFC 1071 ones'-complement sum used by IPv4, TCP, UDP and ICMP.</summary>
/// <remarks>
/// The sum is taken over native-endian 32-bit words and byte-swapped at the end (RFC 1071 section
/// 2(B): the ones'-complement sum is independent of byte order), which is several times faster than
/// 16-bit big-endian words. The data-plane offloads checksum every segment they cut or merge.
/// </remarks>
internal static class InternetChecksum
{
    /// <summary>
    /// Adds the big-endian 16-bit words of <paramref name="data"/> to a running sum and returns it
    /// folded to 16 bits. An odd tail is padded with zero, so every span but the last of a chain
    /// must have an even length.
    /// </summary>
    public static uint Add(uint sum, ReadOnlySpan<byte> data)
    {
        ulong a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        ref var start = ref MemoryMarshal.GetReference(data);
        var i = 0;
        var n = data.Length;
        for (; i + 16 <= n; i += 16)
        {
            a0 += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i));
            a1 += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i + 4));
            a2 += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i + 8));
            a3 += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i + 12));
        }

        var acc = a0 + a1 + a2 + a3;
        for (; i + 4 <= n; i += 4)
        {
            acc += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i));
        }

        if (i + 2 <= n)
        {
            acc += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, i));
            i += 2;
        }

        if (i < n)
        {
            // The tail byte is the high half of a big-endian word: the low half of a little-endian one.
            acc += BitConverter.IsLittleEndian ? data[i] : (uint)data[i] << 8;
        }

        var folded = Fold(acc);
        if (BitConverter.IsLittleEndian)
        {
            folded = BinaryPrimitives.ReverseEndianness((ushort)folded);
        }

        return Fold((ulong)sum + folded);
    }

    /// <summary>Adds one big-endian 16-bit value (a length, a protocol number) to a running sum.</summary>
    public static uint Add(uint sum, ushort value) => Fold((ulong)sum + value);

    /// <summary>The sum of the TCP/UDP pseudo-header: addresses (4 or 16 bytes each), protocol and length.</summary>
    public static uint PseudoHeader(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int length)
    {
        var sum = Add(0, source);
        sum = Add(sum, destination);
        sum = Add(sum, protocol);
        return Add(sum, (ushort)length);
    }

    /// <summary>The checksum to store: the folded sum, complemented.</summary>
    public static ushort Finish(uint sum) => (ushort)~Fold(sum);

    private static uint Fold(ulong sum)
    {
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (uint)sum;
    }
}
