using System.Security.Cryptography;
using System.Text.Json;
using Google.Protobuf;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Auth;
using MeshPorts.Contracts.Node;
using NSec.Cryptography;

namespace MeshPorts.Security.Tests.Support;

/// <summary>
/// A node as the wire sees it: an Ed25519 machine key, a WireGuard public key, Enroll signed per
/// node.proto, and calls signed per NodeAuth (challenge, then a signature over method, nonce, time and
/// the request's hash with auth cleared). No node daemon runs; the attacks need only its credentials.
/// </summary>
internal sealed class ReportingNode : IDisposable
{
    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;
    private readonly Key _machineKey = Key.Create(Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });
    private readonly NodeControl.NodeControlClient _client;

    public ReportingNode(NodeControl.NodeControlClient client)
    {
        _client = client;
        MachinePublicKey = _machineKey.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public byte[] MachinePublicKey { get; }

    public byte[] WireGuardKey { get; } = RandomNumberGenerator.GetBytes(32);

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

    public EnrollRequest EnrollRequest(string secret, string name)
    {
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return new EnrollRequest
        {
            JoinSecret = secret,
            MachinePublicKey = ByteString.CopyFrom(MachinePublicKey),
            WireguardPublicKey = ByteString.CopyFrom(WireGuardKey),
            RequestedName = name,
            TimestampUnixMs = ts,
            Signature = ByteString.CopyFrom(Ed25519.Sign(_machineKey, NodeSignatures.EnrollBytes(MachinePublicKey, WireGuardKey, ts, secret))),
        };
    }

    public async Task<EnrollResponse> EnrollAsync(string secret, string name)
    {
        Enrolled = await _client.EnrollAsync(EnrollRequest(secret, name));
        return Enrolled;
    }

    public async Task<NodeAuth> SignAsync<T>(T request, string method)
        where T : IMessage<T>
    {
        var challenge = await _client.GetChallengeAsync(new ChallengeRequest { MachinePublicKey = ByteString.CopyFrom(MachinePublicKey) });
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var clone = request.Clone();
        clone.Descriptor.FindFieldByName("auth")?.Accessor.Clear(clone);
        var body = SHA256.HashData(clone.ToByteArray());
        return new NodeAuth
        {
            MachinePublicKey = ByteString.CopyFrom(MachinePublicKey),
            Nonce = challenge.Nonce,
            TimestampUnixMs = ts,
            Signature = ByteString.CopyFrom(Ed25519.Sign(_machineKey, NodeSignatures.AuthBytes(method, challenge.Nonce.Span, ts, body))),
        };
    }

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

    /// <summary>admin.proto: "mpj1_" + base64url(JSON {"u": url, "p": pin, "s": secret}).</summary>
    public static string SecretOf(string joinString)
    {
        var b64 = joinString["mpj1_".Length..].Replace('-', '+').Replace('_', '/');
        b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
        using var doc = JsonDocument.Parse(Convert.FromBase64String(b64));
        return doc.RootElement.GetProperty("s").GetString()!;
    }

    public void Dispose() => _machineKey.Dispose();
}
