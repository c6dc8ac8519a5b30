using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Grpc.Net.Client;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Transport;
using MeshPorts.Ctl.Transport;
using NSec.Cryptography;
using Xunit;

namespace MeshPorts.Ctl.Tests.EndToEnd;

/// <summary>
/// Enrolls a node with a join string the way a node daemon does (node.proto's Enroll and its signature), so
/// meshctl's node and grant commands have real nodes to act on.
/// </summary>
internal static class TestNode
{
    public static async Task<EnrollResponse> EnrollAsync(string joinString, string name, params ExposedService[] services)
    {
        var (url, pinText, secret) = DecodeJoin(joinString);
        Assert.True(CertificatePin.TryParse(pinText, out var pin), $"join string pin '{pinText}' is not sha256:<hex>");

        // Trusting the join string's pin, as a node does, also proves the pin it carries is the server's.
        var handler = ChannelFactory.CreateHandler(pin);
        using var channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = handler });
        var client = new NodeControl.NodeControlClient(channel);

        using var machine = Key.Create(SignatureAlgorithm.Ed25519);
        var machinePublic = machine.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        using var wg = Key.Create(KeyAgreementAlgorithm.X25519);
        var wgPublic = wg.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var signed = new List<byte>();
        signed.AddRange("meshports-enroll-v1\0"u8.ToArray());
        signed.AddRange(machinePublic);
        signed.AddRange(wgPublic);
        var ts = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(ts, now);
        signed.AddRange(ts);
        signed.AddRange(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

        var request = new EnrollRequest
        {
            JoinSecret = secret,
            MachinePublicKey = Google.Protobuf.ByteString.CopyFrom(machinePublic),
            WireguardPublicKey = Google.Protobuf.ByteString.CopyFrom(wgPublic),
            RequestedName = name,
            TimestampUnixMs = now,
            Signature = Google.Protobuf.ByteString.CopyFrom(SignatureAlgorithm.Ed25519.Sign(machine, signed.ToArray())),
        };
        request.Services.AddRange(services);
        request.Endpoints.Add("127.0.0.1:51820");
        return await client.EnrollAsync(request);
    }

    /// <summary>admin.proto: "mpj1_" + base64url(JSON {"u": url, "p": pin, "s": secret}).</summary>
    public static (string Url, string Pin, string Secret) DecodeJoin(string joinString)
    {
        if (!joinString.StartsWith("mpj1_", StringComparison.Ordinal))
        {
            throw new FormatException($"join string '{joinString}' does not start with mpj1_");
        }

        var b64 = joinString[5..].Replace('-', '+').Replace('_', '/');
        b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
        using var doc = JsonDocument.Parse(Convert.FromBase64String(b64));
        var root = doc.RootElement;
        return (root.GetProperty("u").GetString()!, root.GetProperty("p").GetString()!, root.GetProperty("s").GetString()!);
    }
}
