using MeshPorts.Contracts.Node;

namespace MeshPorts.Node.Coordinator;

/// <summary>
/// The agent's <see cref="ICoordinatorLink"/> over the real gRPC clients, one per coordinator replica (all
/// trust the same pin: replicas share the TLS key). Every call goes to the current replica; the Watch loop
/// alone moves it on (<see cref="MoveToNextReplica"/>), so the node talks to one replica at a time and a call
/// is never repeated at another behind the caller's back.
/// </summary>
internal sealed class CoordinatorLink : ICoordinatorLink, IAsyncDisposable
{
    private readonly IReadOnlyList<CoordinatorClient> _clients;
    private int _current;

    public CoordinatorLink(CoordinatorClient client)
        : this([client])
    {
    }

    /// <param name="clients">One per replica, primary first; the link disposes them.</param>
    public CoordinatorLink(IReadOnlyList<CoordinatorClient> clients)
    {
        ArgumentNullException.ThrowIfNull(clients);
        if (clients.Count == 0)
        {
            throw new ArgumentException("a coordinator link needs at least one replica", nameof(clients));
        }

        _clients = clients;
    }

    public Uri CurrentUrl => Current.Url;

    public int ReplicaCount => _clients.Count;

    private CoordinatorClient Current => _clients[Volatile.Read(ref _current)];

    public void MoveToNextReplica()
    {
        if (_clients.Count > 1)
        {
            var next = (Volatile.Read(ref _current) + 1) % _clients.Count;
            Volatile.Write(ref _current, next);
        }
    }

    public IAsyncEnumerable<WatchEvent> WatchAsync(ulong resumeFromSerial, CancellationToken cancellation) =>
        Current.WatchAsync(resumeFromSerial, cancellation);

    public Task AckAsync(ulong appliedSerial, CancellationToken cancellation) => Current.AckAsync(appliedSerial, cancellation);

    public Task<RotateKeyResponse> RotateKeyAsync(ReadOnlyMemory<byte> newPublicKey, CancellationToken cancellation) =>
        Current.RotateKeyAsync(newPublicKey, cancellation);

    public Task ReportDeniedFlowsAsync(IReadOnlyList<DeniedFlow> flows, CancellationToken cancellation) =>
        Current.ReportDeniedFlowsAsync(flows, cancellation);

    public Task ReportEndpointsAsync(EndpointReport report, CancellationToken cancellation) =>
        Current.ReportEndpointsAsync(report, cancellation);

    public Task CallMeAsync(string peerNodeId, CancellationToken cancellation) => Current.CallMeAsync(peerNodeId, cancellation);

    public Task<RelayTicketResponse> GetRelayTicketAsync(CancellationToken cancellation) => Current.GetRelayTicketAsync(cancellation);

    public string? FatalReason(Exception error) =>
        error is CoordinatorException { IsTransient: false } refused ? refused.Message : null;

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }
}
