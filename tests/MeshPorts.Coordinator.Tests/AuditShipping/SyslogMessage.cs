using System.Text;

namespace MeshPorts.Coordinator.Tests.AuditShipping;

/// <summary>An RFC 5424 message read by the grammar of its section 6 (one SD-ELEMENT), not by searching its text.</summary>
internal sealed record SyslogMessage(int Pri, string Timestamp, string Host, string App, string ProcId, string MsgId, string SdId,
    Dictionary<string, string> Params, string Msg)
{
    public static SyslogMessage Parse(byte[] datagram)
    {
        var bom = Encoding.UTF8.GetPreamble();
        var text = Encoding.UTF8.GetString(datagram);
        var pos = 0;
        string Until(char stop)
        {
            var end = text.IndexOf(stop, pos);
            Assert.True(end >= pos, $"expected '{stop}' after position {pos} in {text}");
            var part = text[pos..end];
            pos = end + 1;
            return part;
        }

        Assert.Equal('<', text[pos++]);
        var pri = int.Parse(Until('>'), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("1", Until(' '));
        var timestamp = Until(' ');
        var host = Until(' ');
        var app = Until(' ');
        var procId = Until(' ');
        var msgId = Until(' ');
        Assert.Equal('[', text[pos++]);
        var sdId = text[pos..text.IndexOfAny([' ', ']'], pos)];
        pos += sdId.Length;
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        while (text[pos] == ' ')
        {
            pos++;
            var name = Until('=');
            Assert.Matches("^[^ =\\]\"]{1,32}$", name);
            Assert.Equal('"', text[pos++]);
            var value = new StringBuilder();
            while (text[pos] != '"')
            {
                if (text[pos] == '\\' && text[pos + 1] is '"' or '\\' or ']')
                {
                    pos++;
                }
                else
                {
                    Assert.NotEqual(']', text[pos]);
                }

                value.Append(text[pos++]);
            }

            pos++;
            parameters.Add(name, value.ToString());
        }

        Assert.Equal(']', text[pos++]);
        Assert.Equal(' ', text[pos++]);
        var msgBytes = datagram[Encoding.UTF8.GetByteCount(text[..pos])..];
        Assert.True(msgBytes.AsSpan().StartsWith(bom), "MSG does not start with the UTF-8 BOM");
        return new SyslogMessage(pri, timestamp, host, app, procId, msgId, sdId, parameters, Encoding.UTF8.GetString(msgBytes[bom.Length..]));
    }
}
