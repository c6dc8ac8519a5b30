using System.Globalization;
using System.Net.Sockets;
using System.Text;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.Audit.Shipping;

/// <summary>
/// RFC 5424 syslog, one message per event, the fields as STRUCTURED-DATA:
/// <c>&lt;PRI&gt;1 TIME HOST meshports-coordinator PID KIND [meshports@32473 seq="..." kind="..." ...] MESSAGE</c>,
/// to a unix datagram socket (/dev/log) or over UDP (RFC 5426). Facility authpriv.
/// </summary>
internal sealed class SyslogSink : IAuditSink
{
    /// <summary>
    /// The SD-ID's enterprise number: 32473 is the one RFC 5612 sets aside for examples, as MeshPorts has none
    /// of its own; rsyslog and syslog-ng parse it like any other.
    /// </summary>
    public const string SdId = "meshports@32473";

    private readonly SyslogTarget _target;
    private readonly UnixDatagramSender? _unix;
    private readonly UdpClient? _udp;
    private readonly string _hostName;

    public SyslogSink(SyslogTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = target;
        if (target.UnixPath is not null)
        {
            _unix = new UnixDatagramSender(target.UnixPath);
        }
        else
        {
            _udp = new UdpClient(Uri.CheckHostName(target.Host) == UriHostNameType.IPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
        }

        _hostName = Token(Environment.MachineName, 255);
    }

    public string Name => "syslog";

    public async Task SendAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        var message = Format(record, _hostName, Environment.ProcessId);
        if (_unix is not null)
        {
            await _unix.SendAsync(message, cancellationToken);
        }
        else
        {
            await _udp!.SendAsync(message, _target.Host!, _target.Port, cancellationToken);
        }
    }

    internal static byte[] Format(AuditRecord record, string hostName, int processId)
    {
        var sb = new StringBuilder(512);
        var pri = (AuditFields.Facility * 8) + AuditFields.Severity(record);
        sb.Append(CultureInfo.InvariantCulture, $"<{pri}>1 {AuditFields.TimeText(record)} {hostName} {AuditFields.Identifier} {processId} {Token(record.Kind, 32)} [{SdId}");
        foreach (var (name, value) in AuditFields.Of(record))
        {
            sb.Append(' ').Append(name).Append("=\"");
            foreach (var c in value)
            {
                // RFC 5424 6.3.3: '"', '\' and ']' are escaped with a backslash inside PARAM-VALUE.
                if (c is '"' or '\\' or ']')
                {
                    sb.Append('\\');
                }

                sb.Append(c);
            }

            sb.Append('"');
        }

        sb.Append("] ");

        return Concat(Encoding.UTF8.GetBytes(sb.ToString()), AuditFields.Message(record));
    }

    // RFC 5424 6.4: a MSG that starts with the BOM is UTF-8.
    private static byte[] Concat(byte[] header, string message)
    {
        var bom = Encoding.UTF8.GetPreamble();
        var text = Encoding.UTF8.GetBytes(message);
        var all = new byte[header.Length + bom.Length + text.Length];
        header.CopyTo(all, 0);
        bom.CopyTo(all, header.Length);
        text.CopyTo(all, header.Length + bom.Length);
        return all;
    }

    /// <summary>A header field: printable US-ASCII without spaces, at most <paramref name="max"/> characters, "-" when empty.</summary>
    private static string Token(string text, int max)
    {
        var chars = text.Where(c => c is > ' ' and <= '~').Take(max).ToArray();
        return chars.Length == 0 ? "-" : new string(chars);
    }

    public ValueTask DisposeAsync()
    {
        _unix?.Dispose();
        _udp?.Dispose();
        return ValueTask.CompletedTask;
    }
}
