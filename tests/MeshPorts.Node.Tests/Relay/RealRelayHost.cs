using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RelayCore = MeshPorts.Relay.RelayCore;
using RelayService = MeshPorts.Relay.RelayService;

namespace MeshPorts.Node.Tests.Relay;

/// <summary>The real relay (MeshPorts.Relay's core and service) on loopback: Kestrel with a self-signed certificate, and a UDP socket feeding the core.</summary>
internal sealed class RealRelayHost : IAsyncDisposable, MeshPorts.Relay.IRelayUdpSender
{
    private readonly WebApplication _app;
    private readonly X509Certificate2 _certificate;
    private readonly Socket _udp = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private Uri _url = null!;

    private RealRelayHost(RelayCore core)
    {
        Core = core;
        _certificate = FakeRelayServer.SelfSigned(core.RelayId);
        _udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        core.UdpSender = this;
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.UseHttps(_certificate);
        }));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(core);
        _app = builder.Build();
        _app.MapGrpcService<RelayService>();
    }

    public RelayCore Core { get; }

    public RelayServer Descriptor => new()
    {
        Id = Core.RelayId,
        Url = _url.GetLeftPart(UriPartial.Authority),
        Pin = CertificatePin.Of(_certificate).ToString(),
        UdpEndpoint = _udp.LocalEndPoint!.ToString(),
    };

    public static async Task<RealRelayHost> StartAsync(RelayCore core)
    {
        var host = new RealRelayHost(core);
        await host._app.StartAsync();
        host._url = new Uri(host._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        host._loop = Task.Run(host.ReceiveAsync);
        return host;
    }

    public void Send(ReadOnlySpan<byte> datagram, IPEndPoint destination)
    {
        try
        {
            _udp.SendTo(datagram, SocketFlags.None, destination);
        }
        catch (SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        if (_loop is { } loop)
        {
            try
            {
                await loop;
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }
        }

        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stopping.Token);
        }

        await _app.DisposeAsync();
        Core.Dispose();
        _certificate.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[70_000];
        while (!_stop.IsCancellationRequested)
        {
            var result = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            Core.HandleUdp(buffer.AsSpan(0, result.ReceivedBytes), (IPEndPoint)result.RemoteEndPoint, this);
        }
    }
}
