using Grpc.Core;
using Grpc.Net.Client;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Transport;

namespace MeshPorts.Security.Tests.Support;

/// <summary>The admin API as meshctl uses it (pinned TLS, the admin token), for setting up an attack and for checking that it changed nothing.</summary>
internal sealed class AdminApi : IDisposable
{
    private readonly GrpcChannel _channel;

    public AdminApi(LoopbackCoordinator coordinator)
    {
        Assert.True(CertificatePin.TryParse(coordinator.Pin, out var pin), $"meshctl.conf pin '{coordinator.Pin}' does not parse");
        _channel = GrpcChannel.ForAddress(coordinator.Url, new GrpcChannelOptions { HttpHandler = PinnedHttpHandler.Create(pin) });
        Client = new Admin.AdminClient(_channel);
        Auth = new Metadata { { "authorization", "Bearer " + coordinator.AdminToken } };
    }

    public Admin.AdminClient Client { get; }

    public Metadata Auth { get; }

    public async Task<string> JoinAsync(string name, uint uses = 1, TimeSpan? ttl = null)
    {
        var request = new CreateTokenRequest { Name = name, Uses = uses };
        if (ttl is { } t)
        {
            request.Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(t);
        }

        return (await Client.CreateTokenAsync(request, Auth)).JoinString;
    }

    public async Task<IReadOnlyList<Node>> NodesAsync() => (await Client.ListNodesAsync(new ListNodesRequest(), Auth)).Nodes;

    public async Task<long> AuditCountAsync() => (await Client.ListAuditAsync(new ListAuditRequest(), Auth)).Events.Count;

    public void Dispose() => _channel.Dispose();
}
