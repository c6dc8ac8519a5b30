using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MeshPorts.Node.Names;

/// <summary>
/// Sends a query the node does not answer itself to the host's resolvers, one after the other, each on a
/// fresh connected UDP socket (a random source port, and only that resolver's datagrams are read), and
/// returns the first reply whose id matches. The reply's bytes are passed back as they came: this node
/// adds no answers of its own to other names.
/// </summary>
internal sealed class NameForwarder
{
    /// <summary>How long one upstream gets before the next is asked (glibc's resolv.conf default is 5 s; the stub's caller retries too).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);

    private const int MaxReply = 4096;

    private readonly Func<IReadOnlyList<IPEndPoint>> _upstreams;
    private readonly TimeSpan _timeout;

    public NameForwarder(Func<IReadOnlyList<IPEndPoint>> upstreams, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(upstreams);
        _upstreams = upstreams;
        _timeout = timeout ?? DefaultTimeout;
    }

    /// <summary>The first upstream's reply to <paramref name="query"/>, or null when none answered in time.</summary>
    public async Task<byte[]?> ForwardAsync(ReadOnlyMemory<byte> query, CancellationToken cancellation)
    {
        if (query.Length < 12)
        {
            return null;
        }

        var id = BinaryPrimitives.ReadUInt16BigEndian(query.Span);
        var buffer = new byte[MaxReply];
        foreach (var upstream in _upstreams())
        {
            using var socket = new Socket(upstream.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(_timeout);
            try
            {
                await socket.ConnectAsync(upstream, timeout.Token).ConfigureAwait(false);
                await socket.SendAsync(query, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                while (true)
                {
                    var length = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);

                    // A reply (QR set) to this query's id; anything else on the socket is ignored.
                    if (length >= 12 && BinaryPrimitives.ReadUInt16BigEndian(buffer) == id && (buffer[2] & 0x80) != 0)
                    {
                        return buffer[..length];
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                // This upstream is too slow; the next one is asked.
            }
            catch (SocketException)
            {
                // Unreachable (ICMP port unreachable on a connected socket); the next one is asked.
            }
        }

        return null;
    }
}
