using System.Globalization;
using System.Net;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Transport;

namespace MeshPorts.Security.Tests.Support;

/// <summary>
/// For the load and report attacks: gRPC channels to a <see cref="LoopbackCoordinator"/> that trust only
/// its pinned certificate and connect from a chosen loopback source address (127.0.0.2 is another host to
/// the coordinator's per-source limits), and the admin's view (audit, /metrics) to check what changed.
/// </summary>
internal static class LoadChannels
{
    public static GrpcChannel Create(LoopbackCoordinator coordinator, IPAddress source) =>
        GrpcChannel.ForAddress(coordinator.Url, new GrpcChannelOptions { HttpHandler = Handler(coordinator, source), DisposeHttpClient = true });

    public static SocketsHttpHandler Handler(LoopbackCoordinator coordinator, IPAddress source)
    {
        Assert.True(CertificatePin.TryParse(coordinator.Pin, out var pin), $"meshctl.conf pin '{coordinator.Pin}' does not parse");
        return PinnedHttpHandler.Create(pin).From(source);
    }

    public static Admin.AdminClient Admin(LoopbackCoordinator coordinator, GrpcChannel channel) =>
        new(channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + coordinator.AdminToken);
            return m;
        }));

    /// <summary>All audit events, in order.</summary>
    public static async Task<IReadOnlyList<AuditEvent>> AuditAsync(Admin.AdminClient admin) =>
        (await admin.ListAuditAsync(new ListAuditRequest { Limit = 100_000 })).Events;

    /// <summary>One number from /metrics, which the coordinator also serves on its TLS port.</summary>
    public static async Task<long> MetricAsync(LoopbackCoordinator coordinator, string name)
    {
        using var http = new HttpClient(Handler(coordinator, IPAddress.Loopback)) { BaseAddress = new Uri(coordinator.Url) };
        var text = await http.GetStringAsync("/metrics");
        var line = text.Split('\n').SingleOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"/metrics has no {name}:\n{text}");
        return long.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
    }

    public static StatusCode CodeOf(Exception ex) => ex is RpcException rpc ? rpc.StatusCode : StatusCode.Unknown;
}
