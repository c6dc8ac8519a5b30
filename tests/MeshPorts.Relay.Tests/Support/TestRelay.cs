using Google.Protobuf;
using MeshPorts.Contracts.Relay;
using Microsoft.Extensions.Time.Testing;
using NSec.Cryptography;

namespace MeshPorts.Relay.Tests.Support;

/// <summary>A relay core on a fake clock, the coordinator key that signs its tickets, and nodes to connect.</summary>
internal sealed class TestRelay : IDisposable
{
    public TestRelay()
    {
        Core = new RelayCore("test-relay", CoordinatorKey.PublicKey, Time);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));

    public Key CoordinatorKey { get; } = Key.Create(SignatureAlgorithm.Ed25519);

    public RelayCore Core { get; }

    public RecordingUdpSender Udp { get; } = new();

    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    public TestRelayNode Node(string id) => new(this, id);

    /// <summary>A ticket signed by <paramref name="signer"/> (the coordinator's key unless told).</summary>
    public SignedTicket Ticket(TestRelayNode node, string[] peers, long? issuedMs = null, TimeSpan? lifetime = null, Key? signer = null, byte[]? machineKey = null)
    {
        var issued = issuedMs ?? NowMs;
        var ticket = new RelayTicket
        {
            NodeId = node.Id,
            MachinePublicKey = ByteString.CopyFrom(machineKey ?? node.MachinePublicKey),
            IssuedUnixMs = issued,
            NotAfterUnixMs = issued + (long)(lifetime ?? RelaySignatures.TicketLifetime).TotalMilliseconds,
        };
        ticket.PeerNodeIds.AddRange(peers);
        return RelayTickets.Sign(signer ?? CoordinatorKey, ticket);
    }

    /// <summary>Two nodes, each ticket naming the other, both connected.</summary>
    public (TestRelayNode A, TestRelayNode B) Pair()
    {
        var a = Node("n_aaaaaaaaaaaaaaaa");
        var b = Node("n_bbbbbbbbbbbbbbbb");
        a.Connect([b.Id]);
        b.Connect([a.Id]);
        return (a, b);
    }

    public long Dropped(RelayDropReason reason) => Core.Counters.Drops(reason);

    public void Dispose()
    {
        Core.Dispose();
        CoordinatorKey.Dispose();
    }
}
