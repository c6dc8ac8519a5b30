using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Transport;

namespace MeshPorts.Security.Tests.Support;

/// <summary>The admin API as meshctl uses it (pinned TLS, the admin token): sets the stage for an attack (tokens, grants, removals) and reads back that nothing changed.</summary>
internal sealed class AdminApi : IDisposable
{
    private readonly GrpcChannel _channel;

    public AdminApi(LoopbackCoordinator coordinator)
    {
        Assert.True(CertificatePin.TryParse(coordinator.Pin, out var pin), $"meshctl.conf pin '{coordinator.Pin}' does not parse");
        _channel = GrpcChannel.ForAddress(coordinator.Url, new GrpcChannelOptions { HttpHandler = PinnedHttpHandler.Create(pin), DisposeHttpClient = true });
        Client = new Admin.AdminClient(_channel);
        Auth = new Metadata { { "authorization", "Bearer " + coordinator.AdminToken } };
    }

    public Admin.AdminClient Client { get; }

    public Metadata Auth { get; }

    /// <summary>A name no other test on the shared coordinator uses.</summary>
    public static string UniqueName(string stem) => stem + "-" + Guid.NewGuid().ToString("N")[..8];

    public async Task<(Token Token, string Join)> TokenAsync(string name = "", uint uses = 1, string[]? tags = null)
    {
        var request = new CreateTokenRequest { Name = name, Uses = uses };
        request.Tags.AddRange(tags ?? []);
        var response = await Client.CreateTokenAsync(request, Auth);
        return (response.Token, response.JoinString);
    }

    public async Task<Token> TokenByIdAsync(string id) =>
        (await Client.ListTokensAsync(new ListTokensRequest(), Auth)).Tokens.Single(t => t.Id == id);

    public async Task<string> JoinAsync(string name, uint uses = 1, TimeSpan? ttl = null)
    {
        var request = new CreateTokenRequest { Name = name, Uses = uses };
        if (ttl is { } t)
        {
            request.Ttl = Duration.FromTimeSpan(t);
        }

        return (await Client.CreateTokenAsync(request, Auth)).JoinString;
    }

    public async Task<IReadOnlyList<Node>> NodesAsync() => (await Client.ListNodesAsync(new ListNodesRequest(), Auth)).Nodes;

    public async Task<Node?> NodeAsync(string name) => (await NodesAsync()).SingleOrDefault(n => n.Name == name);

    public async Task<Grant> GrantAsync(string from, string to, uint port) =>
        (await Client.AddGrantAsync(new AddGrantRequest
        {
            From = from,
            To = to,
            Port = port,
            Protocol = Protocol.Tcp,
            Duration = Duration.FromTimeSpan(TimeSpan.FromHours(1)),
            Reason = "identity attack setup",
        }, Auth)).Grant;

    public async Task<IReadOnlyList<Grant>> GrantsAsync() =>
        (await Client.ListGrantsAsync(new ListGrantsRequest { IncludeInactive = true }, Auth)).Grants;

    public async Task RemoveAsync(string name) => await Client.RemoveNodeAsync(new RemoveNodeRequest { Name = name }, Auth);

    public async Task<CheckAccessResponse> CheckAsync(string from, string to, uint port) =>
        await Client.CheckAccessAsync(new CheckAccessRequest { From = from, To = to, Port = port, Protocol = Protocol.Tcp }, Auth);

    public async Task<IReadOnlyList<string>> PeersOfAsync(string name) =>
        (await Client.GetNodeAsync(new GetNodeRequest { Name = name }, Auth)).Peers;

    /// <summary>The last ten minutes of the audit log (the shared coordinator's whole log can be longer than one page).</summary>
    public async Task<IReadOnlyList<AuditEvent>> RecentAuditAsync() =>
        (await Client.ListAuditAsync(new ListAuditRequest { Since = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-10)) }, Auth)).Events;

    public async Task<long> AuditCountAsync() => (await Client.ListAuditAsync(new ListAuditRequest(), Auth)).Events.Count;

    public void Dispose() => _channel.Dispose();
}
