using Google.Protobuf;
using MeshPorts.Contracts.Relay;
using NSec.Cryptography;
using Xunit;

namespace MeshPorts.Contracts.Tests.Relay;

/// <summary>Relay tickets: only the coordinator's key makes one, and only until it ends.</summary>
public sealed class RelayTicketsTests
{
    private const long Now = 1_800_000_000_000;

    [Fact]
    public void ASignedTicketVerifiesUntilItEnds()
    {
        using var key = Key.Create(SignatureAlgorithm.Ed25519);
        var signed = RelayTickets.Sign(key, Ticket());
        Assert.True(RelayTickets.TryVerify(key.PublicKey, signed, Now, out var ticket));
        Assert.Equal("n_aaaa", ticket.NodeId);
        Assert.Equal(["n_bbbb"], ticket.PeerNodeIds);
        Assert.False(RelayTickets.TryVerify(key.PublicKey, signed, Now + 600_000, out _));
    }

    [Fact]
    public void AnotherKeyOrAChangedByteIsRefused()
    {
        using var key = Key.Create(SignatureAlgorithm.Ed25519);
        using var forger = Key.Create(SignatureAlgorithm.Ed25519);
        var forged = RelayTickets.Sign(forger, Ticket());
        Assert.False(RelayTickets.TryVerify(key.PublicKey, forged, Now, out _));

        // A node adding a peer to its own ticket.
        var signed = RelayTickets.Sign(key, Ticket());
        var widened = Ticket();
        widened.PeerNodeIds.Add("n_cccc");
        var tampered = new SignedTicket { Ticket = widened.ToByteString(), Signature = signed.Signature };
        Assert.False(RelayTickets.TryVerify(key.PublicKey, tampered, Now, out _));
        Assert.False(RelayTickets.TryVerify(key.PublicKey, null, Now, out _));
        Assert.False(RelayTickets.TryVerify(key.PublicKey, new SignedTicket(), Now, out _));
    }

    [Fact]
    public void AnIncompleteTicketIsRefusedEvenWhenSigned()
    {
        using var key = Key.Create(SignatureAlgorithm.Ed25519);
        var noMachineKey = Ticket();
        noMachineKey.MachinePublicKey = ByteString.Empty;
        Assert.False(RelayTickets.TryVerify(key.PublicKey, RelayTickets.Sign(key, noMachineKey), Now, out _));
        var noNode = Ticket();
        noNode.NodeId = "";
        Assert.False(RelayTickets.TryVerify(key.PublicKey, RelayTickets.Sign(key, noNode), Now, out _));
    }

    [Fact]
    public void TheTicketKeyTextParses()
    {
        using var key = Key.Create(SignatureAlgorithm.Ed25519);
        var text = Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
        Assert.True(RelayTickets.TryParsePublicKey(text, out var parsed));
        Assert.True(RelayTickets.TryVerify(parsed, RelayTickets.Sign(key, Ticket()), Now, out _));
        Assert.False(RelayTickets.TryParsePublicKey("not base64", out _));
        Assert.False(RelayTickets.TryParsePublicKey(Convert.ToBase64String(new byte[31]), out _));
    }

    [Fact]
    public void HelloBytesBindTheNonceTheTimeAndTheTicket()
    {
        var nonce = new byte[32];
        var a = RelaySignatures.HelloBytes(nonce, 1, [1, 2]);
        Assert.NotEqual(a, RelaySignatures.HelloBytes(nonce, 2, [1, 2]));
        Assert.NotEqual(a, RelaySignatures.HelloBytes(nonce, 1, [1, 3]));
        nonce[0] = 1;
        Assert.NotEqual(a, RelaySignatures.HelloBytes(nonce, 1, [1, 2]));
        Assert.True(a.AsSpan().StartsWith("meshports-relay-hello-v1\0"u8));
        Assert.True(RelaySignatures.TicketBytes([1, 2]).AsSpan().StartsWith("meshports-relay-ticket-v1\0"u8));
    }

    private static RelayTicket Ticket() => new()
    {
        NodeId = "n_aaaa",
        MachinePublicKey = ByteString.CopyFrom(new byte[32]),
        PeerNodeIds = { "n_bbbb" },
        IssuedUnixMs = Now - 1_000,
        NotAfterUnixMs = Now + 599_000,
    };
}
