using System.Buffers.Binary;
using System.Net;
using System.Text;
using Google.Protobuf;
using MeshPorts.Contracts.Relay;
using NSec.Cryptography;

namespace MeshPorts.Relay.Tests.Support;

/// <summary>A node at the relay: its machine key, Hellos it signs, its session and the UDP frames it sends.</summary>
internal sealed class TestRelayNode
{
    private readonly TestRelay _relay;
    private ulong _counter;

    public TestRelayNode(TestRelay relay, string id)
    {
        _relay = relay;
        Id = id;
        MachinePublicKey = MachineKey.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        UdpSource = new IPEndPoint(IPAddress.Parse("192.0.2." + ((id[^1] % 200) + 1)), 40000 + (id[^1] % 1000));
    }

    public string Id { get; }

    public Key MachineKey { get; } = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });

    public byte[] MachinePublicKey { get; }

    public RelaySession? Session { get; private set; }

    public Welcome? Welcome { get; private set; }

    public IPEndPoint UdpSource { get; set; }

    public Hello Hello(ReadOnlySpan<byte> nonce, SignedTicket ticket, long? timestampMs = null, Key? signer = null)
    {
        var ts = timestampMs ?? _relay.NowMs;
        var signature = SignatureAlgorithm.Ed25519.Sign(signer ?? MachineKey, RelaySignatures.HelloBytes(nonce, ts, ticket.Ticket.Span));
        return new Hello { Ticket = ticket, TimestampUnixMs = ts, Signature = ByteString.CopyFrom(signature) };
    }

    /// <summary>Challenge, Hello, Welcome against the core; asserts the node is welcomed.</summary>
    public RelaySession Connect(string[] peers)
    {
        var challenge = _relay.Core.NewChallenge();
        var admission = _relay.Core.Admit(challenge.Nonce.Span, Hello(challenge.Nonce.Span, _relay.Ticket(this, peers)));
        Assert.True(admission.Session is not null, admission.Refusal.Detail);
        Session = admission.Session;
        Welcome = Session.Welcome();
        _counter = 0;
        return Session;
    }

    public ulong SessionId => BinaryPrimitives.ReadUInt64BigEndian(Welcome!.UdpSessionId.Span);

    /// <summary>A frame towards the relay, tagged with this node's session key unless told.</summary>
    public byte[] Frame(RelayFrameKind kind, string peer, byte[] payload, ulong? counter = null, byte[]? key = null, ulong? sessionId = null)
    {
        var peerBytes = Encoding.ASCII.GetBytes(peer);
        var frame = new byte[RelayUdpFrame.HeaderSize + peerBytes.Length + payload.Length + RelayUdpFrame.TagSize];
        using var k = RelayUdpFrame.ImportKey(key ?? Welcome!.UdpKey.ToByteArray());
        RelayUdpFrame.Write(frame, sessionId ?? SessionId, counter ?? ++_counter, kind, peerBytes, payload, k, RelayDirection.ToRelay);
        return frame;
    }

    public byte[] DatagramFrame(string peer, byte[] payload, ulong? counter = null) => Frame(RelayFrameKind.Datagram, peer, payload, counter);

    public byte[] Keepalive(ulong? counter = null) => Frame(RelayFrameKind.Keepalive, string.Empty, [], counter);

    public void SendUdp(byte[] frame) => _relay.Core.HandleUdp(frame, UdpSource, _relay.Udp);

    /// <summary>Reads a frame the relay sent to this node: checks its tag with this node's key, returns (kind, source id, payload).</summary>
    public (RelayFrameKind Kind, string Peer, byte[] Payload) Open(byte[] frame)
    {
        Assert.True(RelayUdpFrame.TryReadHeader(frame, out var header));
        using var k = RelayUdpFrame.ImportKey(Welcome!.UdpKey.ToByteArray());
        Assert.True(RelayUdpFrame.VerifyTag(frame, k, RelayDirection.FromRelay), "the relay's frame must carry a good tag for the node's key, relay direction");
        Assert.Equal(SessionId, header.SessionId);
        return (header.Kind, Encoding.ASCII.GetString(frame, header.PeerIdOffset, header.PeerIdLength), frame[header.PayloadOffset..(header.PayloadOffset + header.PayloadLength)]);
    }

    public List<Datagram> DrainTls()
    {
        var list = new List<Datagram>();
        while (Session!.Outbound.TryRead(out var d))
        {
            list.Add(d);
        }

        return list;
    }
}
