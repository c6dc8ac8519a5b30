using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MeshPorts.Node.Tests.Coordinator;

/// <summary>An HTTPS server on loopback that answers every request on one connection with "ok", enough to exercise the pin check.</summary>
internal sealed class TlsTestServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly Task _loop;

    public TlsTestServer(X509Certificate2 certificate)
    {
        _certificate = certificate;
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri Url => new($"https://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _loop.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private async Task ServeAsync()
    {
        while (true)
        {
            try
            {
                using var tcp = await _listener.AcceptTcpClientAsync();
                await using var tls = new SslStream(tcp.GetStream());
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate });
                var seen = new StringBuilder();
                var buffer = new byte[4096];
                while (!seen.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await tls.ReadAsync(buffer);
                    if (n == 0)
                    {
                        break;
                    }

                    seen.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }

                await tls.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray());
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException)
            {
                // A client refusing our certificate aborts the handshake: expected, serve the next one.
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                // Disposed: Stop() ends a pending accept with a SocketException, and an accept begun after Stop()
                // throws InvalidOperationException ("Not listening"). Either way the server is done.
                return;
            }
        }
    }
}
