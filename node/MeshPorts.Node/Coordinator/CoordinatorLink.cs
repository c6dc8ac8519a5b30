using MeshPorts.Contracts.Node;

namespace MeshPorts.Node.Coordinator;

/// <summary>The agent's <see cref="ICoordinatorLink"/> over the real gRPC client.</summary>
internal sealed class CoordinatorLink(CoordinatorClient client) : ICoordinatorLink
{
    public IAsyncEnumerable<WatchEvent> WatchAsync(ulong resumeFromSerial, CancellationToken cancellation) =>
        client.WatchAsync(resumeFromSerial, cancellation);

    public Task AckAsync(ulong appliedSerial, CancellationToken cancellation) => client.AckAsync(appliedSerial, cancellation);

    public Task<RotateKeyResponse> RotateKeyAsync(ReadOnlyMemory<byte> newPublicKey, CancellationToken cancellation) =>
        client.RotateKeyAsync(newPublicKey, cancellation);

    public Task ReportDeniedFlowsAsync(IReadOnlyList<DeniedFlow> flows, CancellationToken cancellation) =>
        client.ReportDeniedFlowsAsync(flows, cancellation);

    public Task ReportEndpointsAsync(EndpointReport report, CancellationToken cancellation) =>
        client.ReportEndpointsAsync(report, cancellation);

    public Task CallMeAsync(string peerNodeId, CancellationToken cancellation) => client.CallMeAsync(peerNodeId, cancellation);

    public Task<RelayTicketResponse> GetRelayTicketAsync(CancellationToken cancellation) => client.GetRelayTicketAsync(cancellation);

    public string? FatalReason(Exception error) =>
        error is CoordinatorException { IsTransient: false } refused ? refused.Message : null;
}
