using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MeshPorts.Ctl.Tests.Transport;

/// <summary>One-request HTTPS server on loopback, enough to exercise the client's TLS check.</summary>
internal sealed class TlsTestServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Task _loop;

    private TlsTestServer(TcpListener listener, X509Certificate2 cert)
    {
        _listener = listener;
        _loop = Task.Run(async () =>
        {
            try
            {
                using var tcp = await _listener.AcceptTcpClientAsync();
                await using var tls = new SslStream(tcp.GetStream());
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = cert });
                var buffer = new byte[4096];
                var seen = new StringBuilder();
                while (!seen.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await tls.ReadAsync(buffer);
                    if (n == 0)
                    {
                        return;
                    }

                    seen.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }

                await tls.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray());
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                // The refusing client aborts the handshake; that is the expected end of the test.
            }
        });
    }

    public Uri Url => new($"https://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public static Task<TlsTestServer> StartAsync(X509Certificate2 cert)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return Task.FromResult(new TlsTestServer(listener, cert));
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _loop.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
