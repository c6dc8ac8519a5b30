using MeshPorts.Contracts.Join;
using MeshPorts.Contracts.Logging;
using MeshPorts.Contracts.Transport;
using MeshPorts.Relay;
using MeshPorts.Relay.Udp;
using MeshPorts.RelayHost.Cli;
using MeshPorts.RelayHost.Join;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MeshPorts.RelayHost.Hosting;

/// <summary>
/// A running standalone relay: its TLS listener with the relay's gRPC stream (and /healthz, /metrics),
/// the UDP socket on the same port for STUN and relay frames, and its membership of the mesh, announced
/// to the coordinator every 30 s. It keeps no database: tickets are checked with the coordinator's key.
/// </summary>
internal sealed class RelayServerHost : IAsyncDisposable
{
    private readonly TlsMaterial _tls;
    private readonly RelayMembership _membership;
    private readonly RelayCore _core;
    private readonly RelayUdpSocket _udp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _announcing;

    private RelayServerHost(WebApplication app, TlsMaterial tls, RelayMembership membership, RelayCore core, RelayUdpSocket udp)
    {
        App = app;
        _tls = tls;
        _membership = membership;
        _core = core;
        _udp = udp;
        _announcing = membership.RunAsync(_stop.Token);
    }

    public WebApplication App { get; }

    public RelayCore Core => _core;

    public string Pin => _tls.Pin;

    public System.Net.IPEndPoint UdpEndPoint => _udp.LocalEndPoint;

    public static async Task<RelayServerHost> StartAsync(RelayOptions options, TimeProvider time, TextWriter output, LogLevel minimumLevel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        var join = options.Join is null ? null : JoinString.Parse(options.Join);
        Directory.CreateDirectory(options.DataDir);
        var certificateUrl = options.PublicUrl ?? new Uri($"https://{options.Listen}");
        var tls = TlsMaterial.LoadOrCreate(options.DataDir, certificateUrl, time, "meshports-relay");
        RelayMembership? membership = null;
        try
        {
            await output.WriteLineAsync($"certificate SHA-256 pin (of its SubjectPublicKeyInfo): {tls.Pin}");
            membership = await RelayMembership.JoinAsync(options.DataDir, join, options.PublicUrl?.GetLeftPart(UriPartial.Authority), (ushort)options.Listen.Port,
                tls.Pin, options.UdpEndpoint, time, line => output.WriteLine(line), cancellationToken);
            var ticketKey = membership.TicketKey
                ?? throw new InvalidOperationException("the coordinator has not given this relay its ticket key yet; start it again when the coordinator is reachable");
            var core = new RelayCore(membership.RelayId, ticketKey, time);
            var metrics = new RelayHostMetrics(core.Counters);

            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = options.DataDir });
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(minimumLevel);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            builder.Logging.AddFilter("Grpc", LogLevel.Warning);
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
            builder.Logging.AddLineConsole(minimumLevel, toStandardError: false, color: false, Environment.GetEnvironmentVariable);
            builder.WebHost.ConfigureKestrel(k => k.Listen(options.Listen, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(tls.Certificate);
            }));
            builder.Services.AddSingleton(core);
            builder.Services.AddGrpc(g => g.MaxReceiveMessageSize = 128 * 1024);
            var app = builder.Build();
            app.MapGrpcService<RelayService>();
            app.MapGet("/healthz", () => Results.Text("ok\n"));
            app.MapGet("/metrics", () => Results.Text(metrics.Render(), "text/plain; version=0.0.4"));
            await app.StartAsync(cancellationToken);

            RelayUdpSocket udp;
            try
            {
                udp = RelayUdpSocket.Start(options.Listen, metrics, time, core);
            }
            catch
            {
                await app.StopAsync(CancellationToken.None);
                core.Dispose();
                throw;
            }

            await output.WriteLineAsync($"relay {core.RelayId} listening on {options.Listen} (TLS; STUN and relay frames on UDP {udp.LocalEndPoint})");
            return new RelayServerHost(app, tls, membership, core, udp);
        }
        catch
        {
            if (membership is not null)
            {
                await membership.DisposeAsync();
            }

            tls.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _announcing;
        await _udp.DisposeAsync();
        await App.StopAsync();
        await App.DisposeAsync();
        _core.Dispose();
        await _membership.DisposeAsync();
        _tls.Dispose();
        _stop.Dispose();
    }
}
