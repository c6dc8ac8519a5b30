using System.Buffers.Binary;
using System.Text;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.Audit.Shipping;

/// <summary>
/// journald's native protocol (systemd's JOURNAL_NATIVE_PROTOCOL): one datagram per event to
/// /run/systemd/journal/socket, one field a line, MESSAGE, PRIORITY, SYSLOG_IDENTIFIER and MESHPORTS_AUDIT_*
/// (journalctl MESHPORTS_AUDIT_KIND=grant.added). A value holding a newline takes the binary form:
/// the name, a newline, its length as a little-endian uint64, the bytes, a newline.
/// </summary>
internal sealed class JournaldSink : IAuditSink
{
    private readonly UnixDatagramSender _sender;

    public JournaldSink(string socketPath)
    {
        _sender = new UnixDatagramSender(socketPath);
    }

    public string Name => "journald";

    public Task SendAsync(AuditRecord record, CancellationToken cancellationToken) => _sender.SendAsync(Datagram(record), cancellationToken);

    internal static byte[] Datagram(AuditRecord record)
    {
        using var buffer = new MemoryStream();
        Field(buffer, "MESSAGE", AuditFields.Message(record));
        Field(buffer, "PRIORITY", AuditFields.Severity(record).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Field(buffer, "SYSLOG_FACILITY", AuditFields.Facility.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Field(buffer, "SYSLOG_IDENTIFIER", AuditFields.Identifier);
        foreach (var (name, value) in AuditFields.Of(record))
        {
            Field(buffer, "MESHPORTS_AUDIT_" + name.ToUpperInvariant(), value);
        }

        return buffer.ToArray();
    }

    private static void Field(MemoryStream buffer, string name, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        buffer.Write(Encoding.ASCII.GetBytes(name));
        if (value.Contains('\n', StringComparison.Ordinal))
        {
            buffer.WriteByte((byte)'\n');
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)bytes.Length);
            buffer.Write(length);
        }
        else
        {
            buffer.WriteByte((byte)'=');
        }

        buffer.Write(bytes);
        buffer.WriteByte((byte)'\n');
    }

    public ValueTask DisposeAsync()
    {
        _sender.Dispose();
        return ValueTask.CompletedTask;
    }
}
