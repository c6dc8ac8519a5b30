using System.Net.Sockets;
using System.Text;

namespace MeshPorts.Node.Tests.Uapi;

/// <summary>A raw UAPI client: writes text, reads replies up to their terminating blank line.</summary>
internal sealed class UapiTestClient : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly StringBuilder _pending = new();

    public UapiTestClient(string path)
    {
        _socket.Connect(new UnixDomainSocketEndPoint(path));
        _socket.ReceiveTimeout = 10_000;
        _socket.SendTimeout = 10_000;
    }

    public void Send(string text) => _socket.Send(Encoding.Latin1.GetBytes(text));

    /// <summary>The next reply (ending "\n\n"), or whatever arrived before the server closed (possibly "").</summary>
    public string ReadReply()
    {
        var buffer = new byte[4096];
        while (true)
        {
            var text = _pending.ToString();
            var end = text.IndexOf("\n\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                _pending.Remove(0, end + 2);
                return text[..(end + 2)];
            }

            var n = _socket.Receive(buffer);
            if (n == 0)
            {
                _pending.Clear();
                return text;
            }

            _pending.Append(Encoding.Latin1.GetString(buffer, 0, n));
        }
    }

    public string Exchange(string request)
    {
        Send(request);
        return ReadReply();
    }

    /// <summary>True once the server has closed its side (a read returns end of stream).</summary>
    public bool IsClosedByServer()
    {
        try
        {
            return _socket.Receive(new byte[1]) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    public void Dispose() => _socket.Dispose();
}
