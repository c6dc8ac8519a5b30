using System.Net;
using System.Net.Sockets;

namespace MeshPorts.Security.Tests.Support;

/// <summary>
/// Source addresses for clients: every address in 127.0.0.0/8 reaches a listener on 127.0.0.1, so each client
/// can come from an address of its own and the coordinator's per-source limits see separate callers, as
/// they would separate machines.
/// </summary>
internal static class LoopbackSource
{
    private static int _next = 256;

    /// <summary>An address no other client of this test run has used (127.0.1.0 onwards; 127.0.0.1 stays the "legitimate" one).</summary>
    public static IPAddress Next()
    {
        var n = Interlocked.Increment(ref _next);
        return new IPAddress(new byte[] { 127, (byte)(n >> 16), (byte)(n >> 8), (byte)n });
    }

    /// <summary>Makes <paramref name="handler"/> connect from <paramref name="source"/>.</summary>
    public static SocketsHttpHandler From(this SocketsHttpHandler handler, IPAddress source)
    {
        handler.ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
        return handler;
    }
}
