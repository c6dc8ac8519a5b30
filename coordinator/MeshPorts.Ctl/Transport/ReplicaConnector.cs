using System.Net;
using System.Net.Sockets;

namespace MeshPorts.Ctl.Transport;

/// <summary>
/// meshctl's failover: every new connection goes to the first replica, in meshctl.conf's order, that accepts
/// TCP within <see cref="ConnectTimeout"/>. It happens before TLS and before any request is written, so a
/// request is never sent twice (a grant is not added on two replicas); a call that breaks after it was sent
/// fails as before. TLS then checks the one pin, which every replica shares.
/// </summary>
internal static class ReplicaConnector
{
    /// <summary>Short, so a replica that is down costs little before the next is tried; a LAN or WAN connect takes well under it.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);

    public static async ValueTask<Stream> ConnectAsync(IReadOnlyList<Uri> urls, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(urls);
        var failures = new List<string>(urls.Count);
        foreach (var url in urls)
        {
            var authority = url.GetLeftPart(UriPartial.Authority);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(timeout);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new DnsEndPoint(url.IdnHost.Trim('[', ']'), url.Port), attempt.Token).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                failures.Add($"{authority}: no answer within {timeout.TotalSeconds:0.#} s");
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                failures.Add($"{authority}: {ex.Message}");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new ReplicasUnreachableException(failures);
    }
}
