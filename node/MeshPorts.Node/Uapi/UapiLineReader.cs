using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace MeshPorts.Node.Uapi;

/// <summary>
/// Reads '\n'-terminated lines from a UAPI connection with a hard cap on line length, so a client
/// that never sends a newline cannot make the server buffer without bound.
/// </summary>
internal sealed class UapiLineReader : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer;
    private int _start;
    private int _end;

    public UapiLineReader(Socket socket, int maxLineLength)
    {
        _socket = socket;
        MaxLineLength = maxLineLength;

        // Room for one maximal line plus its newline.
        _buffer = new byte[maxLineLength + 1];
    }

    public int MaxLineLength { get; }

    /// <summary>
    /// The next line without its '\n', or null at end of stream (including a final unterminated
    /// fragment). Throws <see cref="InvalidDataException"/> if a line exceeds <see cref="MaxLineLength"/>.
    /// </summary>
    public async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var scanned = _start;
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', scanned, _end - scanned);
            if (newline >= 0)
            {
                var line = Encoding.Latin1.GetString(_buffer, _start, newline - _start);
                _start = newline + 1;
                return line;
            }

            if (_end - _start >= MaxLineLength)
            {
                throw new InvalidDataException($"a line is longer than {MaxLineLength} bytes");
            }

            scanned = _end;
            if (_end == _buffer.Length)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                scanned -= _start;
                _end -= _start;
                _start = 0;
            }

            var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            _end += read;
        }
    }

    /// <summary>Set lines carry private and preshared keys; do not leave them in the buffer.</summary>
    public void Dispose() => CryptographicOperations.ZeroMemory(_buffer);
}
