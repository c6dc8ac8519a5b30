using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Relay.Tests.Support;

/// <summary>The relay service on real Kestrel over loopback TLS (a fresh self-signed certificate), and pinned gRPC clients.</summary>
internal sealed class TlsRelayHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly X509Certificate2 _certificate;
    private readonly List<GrpcChannel> _channels = [];

    private TlsRelayHost(WebApplication app, X509Certificate2 certificate, Uri url)
    {
        _app = app;
        _certificate = certificate;
        Url = url;
        Pin = SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo());
    }

    public Uri Url { get; }

    public byte[] Pin { get; }

    public static async Task<TlsRelayHost> StartAsync(RelayCore core)
    {
        var certificate = SelfSigned();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.UseHttps(certificate);
        }));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(core);
        var app = builder.Build();
        app.MapGrpcService<RelayService>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TlsRelayHost(app, certificate, new Uri(address));
    }

    public Contracts.Relay.Relay.RelayClient Client()
    {
        var channel = GrpcChannel.ForAddress(Url, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && CryptographicOperations.FixedTimeEquals(
                        SHA256.HashData(new X509Certificate2(cert).PublicKey.ExportSubjectPublicKeyInfo()), Pin),
                },
            },
        });
        _channels.Add(channel);
        return new Contracts.Relay.Relay.RelayClient(channel);
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=relay-test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
        _certificate.Dispose();
    }
}
