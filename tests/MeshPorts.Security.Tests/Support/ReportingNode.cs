using Google.Protobuf;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;

namespace MeshPorts.Security.Tests.Support;

/// <summary>
/// A node that reports denied flows: a <see cref="WireNode"/> on a given client, enrolled with a token of
/// its own, making the signed Ack and ReportDeniedFlows calls a node daemon makes. No node daemon runs;
/// the attacks need only its credentials.
/// </summary>
internal sealed class ReportingNode : IDisposable
{
    private readonly WireNode _wire = new();
    private readonly NodeControl.NodeControlClient _client;

    public ReportingNode(NodeControl.NodeControlClient client)
    {
        _client = client;
    }

    public byte[] MachinePublicKey => _wire.MachinePublicKey;

    public byte[] WireGuardKey => _wire.WireGuardPublicKey;

    public EnrollResponse? Enrolled { get; private set; }

    public string Name => Enrolled?.Name ?? throw new InvalidOperationException("not enrolled");

    /// <summary>Creates a one-use token named <paramref name="name"/> and enrolls with it.</summary>
    public static async Task<ReportingNode> EnrollNewAsync(Admin.AdminClient admin, NodeControl.NodeControlClient client, string name)
    {
        var token = await admin.CreateTokenAsync(new CreateTokenRequest { Name = name, Uses = 1 });
        var node = new ReportingNode(client);
        await node.EnrollAsync(SecretOf(token.JoinString), name);
        return node;
    }

    public EnrollRequest EnrollRequest(string secret, string name) => _wire.EnrollRequestWithSecret(secret, name);

    public async Task<EnrollResponse> EnrollAsync(string secret, string name)
    {
        Enrolled = await _client.EnrollAsync(EnrollRequest(secret, name));
        return Enrolled;
    }

    public Task<NodeAuth> SignAsync<T>(T request, string method)
        where T : IMessage<T> => _wire.AuthAsync(_client, method, request);

    public async Task AckAsync()
    {
        var request = new AckRequest { AppliedSerial = 0 };
        request.Auth = await SignAsync(request, "/meshports.node.v1.NodeControl/Ack");
        await _client.AckAsync(request);
    }

    public async Task ReportAsync(IEnumerable<DeniedFlow> flows)
    {
        var request = new DeniedFlowReport();
        request.Flows.AddRange(flows);
        request.Auth = await SignAsync(request, "/meshports.node.v1.NodeControl/ReportDeniedFlows");
        await _client.ReportDeniedFlowsAsync(request);
    }

    public static string SecretOf(string joinString) => MeshPorts.Contracts.Join.JoinString.Parse(joinString).Secret;

    public void Dispose() => _wire.Dispose();
}
