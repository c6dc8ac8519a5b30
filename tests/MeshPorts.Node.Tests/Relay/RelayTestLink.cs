using Google.Protobuf;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Relay;
using MeshPorts.Node.Coordinator;
using NSec.Cryptography;

namespace MeshPorts.Node.Tests.Relay;

/// <summary>The coordinator's GetRelayTicket, signing real tickets with a test relay key; the other calls are not the relay client's.</summary>
internal sealed class RelayTestLink(string nodeId, ReadOnlyMemory<byte> machinePublicKey, TimeProvider time, Key? sharedTicketKey = null) : ICoordinatorLink, IDisposable
{
    private readonly Key _ticketKey = sharedTicketKey ?? Key.Create(SignatureAlgorithm.Ed25519);
    private int _fetches;

    public PublicKey TicketKey => _ticketKey.PublicKey;

    public List<RelayServer> Relays { get; } = [];

    public List<string> Peers { get; } = ["peer-b"];

    public int Fetches => Volatile.Read(ref _fetches);

    public Task<RelayTicketResponse> GetRelayTicketAsync(CancellationToken cancellation)
    {
        Interlocked.Increment(ref _fetches);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var ticket = new RelayTicket
        {
            NodeId = nodeId,
            MachinePublicKey = ByteString.CopyFrom(machinePublicKey.Span),
            IssuedUnixMs = now,
            NotAfterUnixMs = now + (long)RelaySignatures.TicketLifetime.TotalMilliseconds,
        };
        lock (Peers)
        {
            ticket.PeerNodeIds.AddRange(Peers);
        }

        var signed = RelayTickets.Sign(_ticketKey, ticket);
        var response = new RelayTicketResponse { Ticket = signed.Ticket, Signature = signed.Signature };
        lock (Relays)
        {
            response.Relays.AddRange(Relays);
        }

        return Task.FromResult(response);
    }

    public IAsyncEnumerable<WatchEvent> WatchAsync(ulong resumeFromSerial, CancellationToken cancellation) => throw new NotSupportedException();

    public Task AckAsync(ulong appliedSerial, CancellationToken cancellation) => throw new NotSupportedException();

    public Task<RotateKeyResponse> RotateKeyAsync(ReadOnlyMemory<byte> newPublicKey, CancellationToken cancellation) => throw new NotSupportedException();

    public Task ReportDeniedFlowsAsync(IReadOnlyList<DeniedFlow> flows, CancellationToken cancellation) => throw new NotSupportedException();

    public Task ReportEndpointsAsync(EndpointReport report, CancellationToken cancellation) => throw new NotSupportedException();

    public Task CallMeAsync(string peerNodeId, CancellationToken cancellation) => throw new NotSupportedException();

    public Uri? CurrentUrl => null;

    public void MoveToNextReplica()
    {
    }

    public string? FatalReason(Exception error) => null;

    public void Dispose()
    {
        if (sharedTicketKey is null)
        {
            _ticketKey.Dispose();
        }
    }
}
