using System.Buffers.Binary;
using System.Text;

namespace MeshPorts.Coordinator.Tests.AuditShipping;

/// <summary>Reads a journald native-protocol datagram as systemd-journald does: NAME=value lines, or NAME, newline, LE64 length, bytes, newline.</summary>
internal static class JournalDatagram
{
    public static Dictionary<string, string> Parse(byte[] datagram)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (i < datagram.Length)
        {
            var end = Array.FindIndex(datagram, i, b => b is (byte)'=' or (byte)'\n');
            Assert.True(end > i, $"a field without a name at byte {i}");
            var name = Encoding.ASCII.GetString(datagram, i, end - i);
            Assert.Matches("^[A-Z0-9][A-Z0-9_]*$", name);
            if (datagram[end] == '=')
            {
                var newline = Array.IndexOf(datagram, (byte)'\n', end + 1);
                Assert.True(newline > 0, $"field {name} is not ended by a newline");
                fields.Add(name, Encoding.UTF8.GetString(datagram, end + 1, newline - end - 1));
                i = newline + 1;
            }
            else
            {
                var length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(datagram.AsSpan(end + 1, 8)));
                var start = end + 9;
                fields.Add(name, Encoding.UTF8.GetString(datagram, start, length));
                Assert.Equal((byte)'\n', datagram[start + length]);
                i = start + length + 1;
            }
        }

        return fields;
    }
}
