using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Hosting;
using MeshPorts.Coordinator.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace MeshPorts.Coordinator.Tests.Support;

/// <summary>
/// A real coordinator in-process: SQLite in a temp dir (or the --store a test names), TLS on 127.0.0.1 with a free port, clients
/// that trust only the pinned certificate, and a fake clock for expiry.
/// </summary>
internal sealed class TestCoordinator : IAsyncDisposable
{
    private TestCoordinator(CoordinatorHost host, string dataDir, string store, FakeTimeProvider time, GrpcChannel channel, string adminToken)
    {
        Host = host;
        Store = store;
        DataDir = dataDir;
        Time = time;
        Channel = channel;
        Admin = new Admin.AdminClient(channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + adminToken);
            return m;
        }));
        Node = new NodeControl.NodeControlClient(channel);
    }

    public CoordinatorHost Host { get; }

    public string DataDir { get; }

    /// <summary>The --store this coordinator runs on (replicas started from it share it).</summary>
    public string Store { get; }

    public FakeTimeProvider Time { get; }

    public GrpcChannel Channel { get; }

    public Admin.AdminClient Admin { get; }

    public NodeControl.NodeControlClient Node { get; }

    /// <summary>Set for a coordinator that another one restarts on (that one deletes the directory).</summary>
    public bool KeepDataDir { get; set; }

    public static async Task<TestCoordinator> StartAsync(Action<CoordinatorOptions>? configure = null, string? dataDir = null, FakeTimeProvider? time = null)
    {
        dataDir ??= Path.Combine(Path.GetTempPath(), "mp-coord-test-" + Guid.NewGuid().ToString("N"));
        var port = FreePort();
        var options = new CoordinatorOptions
        {
            DataDir = dataDir,
            Listen = new IPEndPoint(IPAddress.Loopback, port),
            PublicUrl = new Uri($"https://127.0.0.1:{port}"),
        };
        configure?.Invoke(options);
        time ??= new FakeTimeProvider(DateTimeOffset.UtcNow);
        var host = await CoordinatorHost.StartAsync(options, time, TextWriter.Null, LogLevel.Warning, CancellationToken.None);
        var channel = CreateChannel(host.PublicUrl, host.Pin);
        var token = File.ReadAllLines(Path.Combine(dataDir, "meshctl.conf")).First(l => l.StartsWith("token = ")).Substring(8);
        return new TestCoordinator(host, dataDir, options.EffectiveStore, time, channel, token);
    }

    public static GrpcChannel CreateChannel(Uri url, string pin) =>
        GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = (_, cert, _, _) =>
                        cert is not null && "sha256:" + Convert.ToHexStringLower(SHA256.HashData(
                            new System.Security.Cryptography.X509Certificates.X509Certificate2(cert).PublicKey.ExportSubjectPublicKeyInfo())) == pin,
                },
            },
        });

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Starts another coordinator on this one's database, as a replica is deployed: on a copy of the data dir (TLS
    /// key, admin credential, audit and relay keys) with --store naming the shared database.
    /// </summary>
    public Task<TestCoordinator> StartReplicaAsync(Action<CoordinatorOptions>? configure = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "mp-coord-replica-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(DataDir))
        {
            var name = Path.GetFileName(file);
            if (!name.StartsWith("coordinator.db", StringComparison.Ordinal) && name != "audit.jsonl")
            {
                File.Copy(file, Path.Combine(dir, name));
            }
        }

        var store = Store;
        // One clock for all replicas, as hosts kept in step by NTP: advancing it moves every replica's timers.
        return StartAsync(o =>
        {
            o.Store = store;
            configure?.Invoke(o);
        }, dir, Time);
    }

    /// <summary>A client of this coordinator for a node created against another one (the node fails over here).</summary>
    public NodeControl.NodeControlClient NodeClient() => new(Channel);

    /// <summary>Creates a token and returns the secret from its join string.</summary>
    public async Task<(Token Token, string Join, string Secret)> CreateTokenAsync(string name = "", string user = "", string[]? tags = null, int uses = 1)
    {
        var request = new CreateTokenRequest { Name = name, User = user, Uses = (uint)uses };
        request.Tags.AddRange(tags ?? []);
        var response = await Admin.CreateTokenAsync(request);
        Assert.True(Contracts.Join.JoinString.TryDecode(response.JoinString, out var decoded, out var error), error);
        return (response.Token, response.JoinString, decoded.Secret);
    }

    public async Task<TestNode> EnrollAsync(string name, string user = "", string[]? tags = null)
    {
        var (_, _, secret) = await CreateTokenAsync(name, user, tags);
        var node = new TestNode(this);
        await node.EnrollAsync(secret, name);
        return node;
    }

    public async Task<(bool Ok, RpcException? Error)> TryAsync(Func<Task> action)
    {
        try
        {
            await action();
            return (true, null);
        }
        catch (RpcException ex)
        {
            return (false, ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Host.DisposeAsync();
        if (KeepDataDir)
        {
            return;
        }

        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
