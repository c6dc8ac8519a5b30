using MeshPorts.Contracts.Node;

namespace MeshPorts.Node.Coordinator;

/// <summary>
/// The authenticated calls a running node makes to its coordinator. Implemented over gRPC by
/// <see cref="CoordinatorLink"/>, and in memory by the tests.
/// </summary>
internal interface ICoordinatorLink
{
    /// <summary>The replica calls go to now (status shows it); null when the link has no URL (tests).</summary>
    Uri? CurrentUrl { get; }

    /// <summary>
    /// After the Watch stream failed: the next call goes to the next replica (round robin; nothing with one).
    /// The Watch loop calls it on every failure, so a replica that stopped answering is left within one backoff.
    /// </summary>
    void MoveToNextReplica();

    /// <summary>The snapshot or resumed deltas, then deltas and heartbeats until the stream breaks.</summary>
    IAsyncEnumerable<WatchEvent> WatchAsync(ulong resumeFromSerial, CancellationToken cancellation);

    Task AckAsync(ulong appliedSerial, CancellationToken cancellation);

    Task<RotateKeyResponse> RotateKeyAsync(ReadOnlyMemory<byte> newPublicKey, CancellationToken cancellation);

    Task ReportDeniedFlowsAsync(IReadOnlyList<DeniedFlow> flows, CancellationToken cancellation);

    /// <summary>Replaces this node's candidates, home relay and per-peer paths at the coordinator.</summary>
    Task ReportEndpointsAsync(EndpointReport report, CancellationToken cancellation);

    /// <summary>Asks the coordinator to have a peer probe this node now (delivered as WatchEvent.call_me).</summary>
    Task CallMeAsync(string peerNodeId, CancellationToken cancellation);

    /// <summary>A ticket naming this node's current peers, and the relays it is good at.</summary>
    Task<RelayTicketResponse> GetRelayTicketAsync(CancellationToken cancellation);

    /// <summary>
    /// Non-null when <paramref name="error"/> means retrying cannot help (the node was removed, its
    /// machine key is refused, the coordinator's certificate changed): the message says what to do.
    /// </summary>
    string? FatalReason(Exception error);
}
