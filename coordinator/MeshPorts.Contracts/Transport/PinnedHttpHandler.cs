using System.Net.Security;
using System.Net.Sockets;

namespace MeshPorts.Contracts.Transport;

/// <summary>
/// The HTTP/2 handler every MeshPorts client uses to reach the coordinator: TLS that trusts exactly the pinned
/// key (meshctl, the load tool and the node daemon share it, so there is one trust path to review).
/// </summary>
public static class PinnedHttpHandler
{
    /// <summary>How long a connection may be silent before the client pings it (the coordinator heartbeats every 15 s too).</summary>
    public static readonly TimeSpan DefaultKeepAlive = TimeSpan.FromSeconds(15);

    /// <param name="pin">The only server key accepted.</param>
    /// <param name="keepAlive">When set, HTTP/2 PINGs after this much silence, so a dead coordinator behind a
    /// silent network is noticed within keepAlive + its timeout instead of at the next TCP retransmit limit.</param>
    /// <param name="onMismatch">Told which key the server presented when it is refused, so the caller can name both in its error.</param>
    public static SocketsHttpHandler Create(CertificatePin pin, TimeSpan? keepAlive = null, Action<CertificatePin>? onMismatch = null)
    {
        var handler = new SocketsHttpHandler
        {
            // With a ConnectCallback of its own, a GrpcChannel leaves connecting to this handler, once per call that
            // needs a connection. Without one it connects by itself and, after a failure, waits out its own backoff
            // (1 s growing 1.6x to 120 s) while every call fails at once: the callers' retry loops (the node's
            // reconnect rule, docs/node.md) could not decide when the next attempt happens.
            ConnectCallback = ConnectAsync,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            EnableMultipleHttp2Connections = true,
            SslOptions = new SslClientAuthenticationOptions
            {
                // The certificate is self-signed and the URL may name an IP, so chain and name errors are
                // expected; the pin alone decides. A different certificate, however valid, is refused.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is null)
                    {
                        return false;
                    }

                    var presented = CertificatePin.Of(certificate);
                    if (pin.Matches(presented))
                    {
                        return true;
                    }

                    onMismatch?.Invoke(presented);
                    return false;
                },
            },
        };

        if (keepAlive is { } delay)
        {
            handler.KeepAlivePingDelay = delay;
            handler.KeepAlivePingTimeout = delay;
            handler.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always;
        }

        return handler;
    }

    /// <summary>A plain TCP connection to the request's host and port (IPv4 or IPv6), what the handler does without a callback.</summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
