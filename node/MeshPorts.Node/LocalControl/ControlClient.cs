using System.Net.Sockets;
using System.Text;

namespace MeshPorts.Node.LocalControl;

/// <summary>What <c>status</c> and <c>down</c> use to talk to a running <c>up</c>.</summary>
internal static class ControlClient
{
    /// <summary>Sends one request and returns the whole answer.</summary>
    /// <exception cref="IOException">Nothing serves the socket; the message says so.</exception>
    public static async Task<string> RequestAsync(string socketPath, string request, TimeSpan timeout)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancel.Token).ConfigureAwait(false);
            await socket.SendAsync(Encoding.ASCII.GetBytes(request + "\n"), cancel.Token).ConfigureAwait(false);
            var answer = new MemoryStream();
            var buffer = new byte[16384];
            int read;
            while ((read = await socket.ReceiveAsync(buffer, cancel.Token).ConfigureAwait(false)) > 0)
            {
                answer.Write(buffer, 0, read);
            }

            return Encoding.UTF8.GetString(answer.ToArray());
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.ConnectionRefused)
        {
            throw new IOException($"no node daemon answers on {socketPath}; is 'meshports-node up' running for this interface?", ex);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AccessDenied)
        {
            throw new IOException($"{socketPath} is root only; run as root", ex);
        }
        catch (OperationCanceledException ex)
        {
            throw new IOException($"the node daemon on {socketPath} did not answer within {timeout.TotalSeconds:0} s", ex);
        }
    }
}
