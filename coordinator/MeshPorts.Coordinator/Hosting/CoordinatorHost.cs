using System.Net;
using MeshPorts.Contracts.Logging;
using MeshPorts.Contracts.Output;
using MeshPorts.Contracts.Transport;
using MeshPorts.Coordinator.Audit;
using MeshPorts.Coordinator.Audit.Shipping;
using MeshPorts.Coordinator.Metrics;
using MeshPorts.Coordinator.Options;
using MeshPorts.Coordinator.Services;
using MeshPorts.Coordinator.State;
using MeshPorts.Coordinator.State.Relays;
using MeshPorts.Coordinator.State.Replication;
using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Streaming;
using MeshPorts.Relay;
using MeshPorts.Relay.Udp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using NSec.Cryptography;

namespace MeshPorts.Coordinator.Hosting;

/// <summary>
/// Wires the coordinator together and runs it: TLS material, store, audit, state, gRPC services,
/// /healthz and /metrics on one TLS-only Kestrel listener. Used by Program and by tests in-process.
/// </summary>
internal sealed class CoordinatorHost : IAsyncDisposable
{
    private readonly TlsMaterial _tls;
    private readonly Key _relayKey;
    private readonly RelayUdpSocket _stun;
    private readonly RelayCore? _relay;

    private CoordinatorHost(WebApplication app, TlsMaterial tls, Key relayKey, RelayUdpSocket stun, RelayCore? relay, IStore store, AuditLog audit, MeshState state, Uri url,
        ReplicaFollower follower, AuditChainMonitor auditChain, AuditShipper shipper)
    {
        Shipper = shipper;
        Follower = follower;
        AuditChain = auditChain;
        _stun = stun;
        _relay = relay;
        _relayKey = relayKey;
        App = app;
        _tls = tls;
        Store = store;
        Audit = audit;
        State = state;
        PublicUrl = url;
    }

    public WebApplication App { get; }

    public IStore Store { get; }

    public AuditLog Audit { get; }

    public MeshState State { get; }

    /// <summary>Applies what other coordinators on the same database change.</summary>
    public ReplicaFollower Follower { get; }

    public Uri PublicUrl { get; }

    /// <summary>Keeps checking the audit hash chain (meshports_audit_chain_ok).</summary>
    public AuditChainMonitor AuditChain { get; }

    /// <summary>Ships committed audit events to the configured sinks.</summary>
    public AuditShipper Shipper { get; }

    public string Pin => _tls.Pin;

    /// <summary>The public half of the key relay tickets are signed with, as printed ("relay ticket key").</summary>
    public string RelayTicketKey => RelaySigningKeyFile.PublicKeyText(_relayKey);

    /// <summary>The relay embedded here; null with --relay off.</summary>
    public RelayCore? Relay => _relay;

    public static async Task<CoordinatorHost> StartAsync(CoordinatorOptions options, TimeProvider time, TextWriter output, LogLevel minimumLevel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        // Before anything is created: a refused headers file stops the start as a usage error.
        var shipNotes = new List<string>();
        var sinks = AuditSinks.FromOptions(options, shipNotes);
        Directory.CreateDirectory(options.DataDir);
        var urls = options.EffectivePublicUrls;
        var url = urls[0];
        var tls = TlsMaterial.LoadOrCreate(options.DataDir, urls, time);
        if (tls.Created)
        {
            await output.WriteLineAsync($"created TLS key and self-signed certificate in {Path.Combine(options.DataDir, "tls")}");
        }

        await output.WriteLineAsync($"certificate SHA-256 pin (of its SubjectPublicKeyInfo): {tls.Pin}");
        var auditKey = AuditSigningKeyFile.LoadOrCreate(options.DataDir, out var auditKeyCreated);
        if (auditKeyCreated)
        {
            await output.WriteLineAsync($"created audit signing key {Path.Combine(options.DataDir, AuditSigningKeyFile.FileName)} (mode 0600)");
        }

        await output.WriteLineAsync($"audit signing key: {auditKey.PublicKeyText}");
        var relayKey = RelaySigningKeyFile.LoadOrCreate(options.DataDir, out var relayKeyCreated);
        if (relayKeyCreated)
        {
            await output.WriteLineAsync($"created relay signing key {Path.Combine(options.DataDir, RelaySigningKeyFile.FileName)} (mode 0600)");
        }

        await output.WriteLineAsync($"relay ticket key: {RelaySigningKeyFile.PublicKeyText(relayKey)}");
        var admin = AdminCredential.LoadOrCreate(options.DataDir, urls, options.PublicUrl is null, tls.Pin, auditKey.PublicKeyText, out var adminCreated);
        if (!adminCreated && options.PublicUrl is not null && AdminCredential.WrittenUrlDiffers(options.DataDir, urls) is { } written)
        {
            // The file is written once; a replica started on a copied data dir, or a list that grew, leaves it behind.
            await output.WriteLineAsync(
                $"note: {Path.Combine(options.DataDir, "meshctl.conf")} says url = {written}, not --public-url {CoordinatorUrls.Format(urls)}; " +
                "edit its url line (and copies of it) so meshctl knows every replica");
        }

        var metricsAccess = MetricsAccess.LoadOrCreate(options.DataDir, out var metricsTokenCreated);
        if (metricsTokenCreated)
        {
            await output.WriteLineAsync($"created {Path.Combine(options.DataDir, MetricsAccess.FileName)} (mode 0600: the bearer token /metrics asks of clients not on loopback)");
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = options.DataDir });
        builder.Logging.SetMinimumLevel(minimumLevel);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);

        // The host logs a failed start ("address already in use") as an error and rethrows; the program
        // prints that same failure once, with the fix, so the host's copy is left out.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        builder.Logging.AddLineConsole(minimumLevel, toStandardError: false,
            color: LogColor(!Console.IsOutputRedirected, Environment.GetEnvironmentVariable) == LoggerColorBehavior.Enabled,
            Environment.GetEnvironmentVariable);
        builder.WebHost.ConfigureKestrel(k => k.Listen(options.Listen, listen =>
        {
            // HTTP/1.1 is offered only so curl and Prometheus can read /healthz and /metrics; gRPC negotiates h2 by ALPN.
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.UseHttps(tls.Certificate);
        }));

        // The embedded relay checks tickets with the public half of the key the coordinator signs them with.
        var relay = options.RelayEnabled ? new RelayCore(RelayServerOption.EmbeddedId, relayKey.PublicKey, time) : null;
        var metrics = new CoordinatorMetrics { Relay = relay?.Counters };
        var hub = new FeedHub(options.DeltaLogCapacity, metrics, time) { DnsSuffix = options.DnsSuffix };
        metrics.NodeWatching = hub.WatchStates;
        metrics.OldestUnackedSeconds = hub.OldestUnackedSeconds;
        var store = StoreSpec.Create(options.EffectiveStore);
        try
        {
            await store.InitializeAsync(cancellationToken);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }

        await output.WriteLineAsync($"store: {StoreSpec.Describe(options.EffectiveStore)}");
        if (StoreSpec.Warning(options.EffectiveStore) is { } storeWarning)
        {
            await output.WriteLineAsync(storeWarning);
        }

        // Every start, of any replica, takes a fresh epoch: a node's serial then says which process produced it.
        hub.Epoch = checked((uint)await store.Settings.IncrementAsync("feed_epoch", cancellationToken));

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new CoordinatorClock(time));
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(hub);
        builder.Services.AddSingleton(admin);
        builder.Services.AddSingleton<IStore>(store);
        builder.Services.AddSingleton(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("MeshPorts.Audit");
            return new AuditLog(store.Audit, time, logger, Path.Combine(options.DataDir, "audit.jsonl"), auditKey) { OnAppended = metrics.AuditEvent };
        });
        builder.Services.AddSingleton(sp => new MeshState(store, sp.GetRequiredService<AuditLog>(), hub, time, options, metrics,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("MeshPorts.State"), urls, tls.Pin));
        var relays = new RelayDirectory(time);
        builder.Services.AddSingleton(new RelayRegistrar(relays, relayKey.PublicKey.Export(KeyBlobFormat.RawPublicKey)));
        builder.Services.AddSingleton(new RelayTicketIssuer(relayKey, relays, time, relay is null ? null : EmbeddedRelay(url, options.Listen.Port, tls.Pin)));
        if (relay is not null)
        {
            builder.Services.AddSingleton(relay);
        }

        builder.Services.AddGrpc(g =>
        {
            // The largest legitimate message is a policy file; anything bigger is refused before it is parsed.
            g.MaxReceiveMessageSize = options.MaxMessageBytes;
            g.Interceptors.Add<CallAuthorizationInterceptor>();
            g.Interceptors.Add<ErrorInterceptor>();
        });

        var app = builder.Build();
        app.Use(CanonicalGrpcPath.InvokeAsync);
        app.MapGrpcService<NodeControlService>();
        app.MapGrpcService<AdminService>();
        if (relay is not null)
        {
            // Unmapped with --relay off: a Connect there is answered UNIMPLEMENTED.
            app.MapGrpcService<RelayService>();
        }

        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/metrics", (HttpContext context) =>
        {
            if (metricsAccess.Allows(context))
            {
                return Results.Text(metrics.Render(), "text/plain; version=0.0.4");
            }

            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Text(
                $"/metrics names nodes: send Authorization: Bearer with the token in {Path.Combine(options.DataDir, MetricsAccess.FileName)} (Prometheus: authorization.credentials_file), or scrape from this host's loopback\n",
                statusCode: StatusCodes.Status401Unauthorized);
        });

        var state = app.Services.GetRequiredService<MeshState>();
        var audit = app.Services.GetRequiredService<AuditLog>();

        // Before the first append (InitializeAsync may record a head mismatch): every event this process commits is shipped.
        var shipper = new AuditShipper(sinks, options.AuditShipQueueCapacity, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MeshPorts.Audit.Shipping"));
        audit.Shipper = shipper;
        metrics.AuditShipping = shipper;
        shipper.Start();
        foreach (var note in shipNotes)
        {
            await output.WriteLineAsync(note);
        }

        var auditChain = new AuditChainMonitor(audit, store.Changes, time, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MeshPorts.Audit"));
        metrics.AuditChain = auditChain;

        // Before State appends anything: the stored head is checked against the chain it should cover.
        if (await audit.InitializeAsync(auditKeyCreated, cancellationToken) is { } auditProblem)
        {
            auditChain.HeadMismatchAtStart(auditProblem);
            await output.WriteLineAsync($"AUDIT LOG CHANGED OUTSIDE THE COORDINATOR: {auditProblem}; recorded as {AuditLog.HeadMismatchKind}, run meshctl audit verify");
        }

        // Read before the mesh is loaded, and subscribed to this process's events before it appends any: every
        // change after this point is either loaded now, or one the follower sees as its own or reloads.
        var seen = await store.Changes.LatestAsync(cancellationToken);
        var follower = new ReplicaFollower(store, audit, state, seen, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MeshPorts.Replication"));
        await state.InitializeAsync(cancellationToken);
        await app.StartAsync(cancellationToken);
        RelayUdpSocket stun;
        try
        {
            // The same port on UDP: STUN, so a node behind a NAT learns its public address (docs/nat.md).
            // Relay frames (first byte 0xF2) arrive on the same socket and are handed to the relay.
            stun = RelayUdpSocket.Start(options.Listen, metrics, time, relay);
        }
        catch
        {
            await app.StopAsync(CancellationToken.None);
            relay?.Dispose();
            throw;
        }

        // Only now, with Kestrel accepting connections: whoever waits for the file may call meshctl at once.
        if (admin.Pending)
        {
            admin.WritePending(options.DataDir);
            await output.WriteLineAsync($"wrote {Path.Combine(options.DataDir, "meshctl.conf")} (mode 0600: url, pin, admin token, audit key)");
        }

        follower.Start();
        auditChain.Start();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MeshPorts.Coordinator");
        var listenText = options.Listen.ToString();
        var urlsText = CoordinatorUrls.Format(urls);
        HostingLog.Listening(logger, listenText, urlsText, tls.Pin);
        app.Lifetime.ApplicationStopping.Register(() => HostingLog.Stopping(logger, metrics.WatchStreams));
        await output.WriteLineAsync($"listening on {options.Listen} (TLS only; STUN{(relay is null ? string.Empty : " and relay frames")} on UDP {stun.LocalEndPoint}; relay {(relay is null ? "off" : "on")}), public URL{(urls.Count > 1 ? "s" : "")} {urlsText}");
        if (options.PublicUrl is null)
        {
            // Join strings and meshctl.conf carry this URL: a node on another machine must be able to resolve it.
            await output.WriteLineAsync(
                $"warning: no --public-url given, so join strings point at {url}, a guess from this machine's name; " +
                "nodes elsewhere may not resolve it: restart with --public-url https://HOST:PORT");
        }
        return new CoordinatorHost(app, tls, relayKey, stun, relay, store, audit, state, url, follower, auditChain, shipper);
    }

    /// <summary>The UDP STUN responder's address (the listen address; its port is the TCP one).</summary>
    public IPEndPoint StunEndPoint => _stun.LocalEndPoint;

    public async ValueTask DisposeAsync()
    {
        await _stun.DisposeAsync();
        _relay?.Dispose();
        await Follower.DisposeAsync();
        await AuditChain.DisposeAsync();
        await App.StopAsync();
        await App.DisposeAsync();

        // After the last append: what is queued gets a moment to go out.
        await Shipper.DisposeAsync();
        await Store.DisposeAsync();
        _tls.Dispose();
        _relayKey.Dispose();
    }

    /// <summary>How nodes are told of the embedded relay: the coordinator's public URL and pin, and UDP at the public host and the listen port.</summary>
    internal static Contracts.Node.RelayServer EmbeddedRelay(Uri publicUrl, int udpPort, string pin) => new()
    {
        Id = RelayServerOption.EmbeddedId,
        Url = publicUrl.GetLeftPart(UriPartial.Authority),
        Pin = pin,
        UdpEndpoint = FormattableString.Invariant($"{publicUrl.Host}:{udpPort}"),
    };

    /// <summary>The console logger writes to stdout: colour only when that is a terminal and NO_COLOR is unset.</summary>
    internal static LoggerColorBehavior LogColor(bool stdoutIsTerminal, Func<string, string?> getEnvironment) =>
        TerminalColor.Allowed(stdoutIsTerminal, getEnvironment) ? LoggerColorBehavior.Enabled : LoggerColorBehavior.Disabled;
}
