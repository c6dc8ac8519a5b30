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

    public string? FatalReason(Exception error) =>
        error is CoordinatorException { IsTransient: false } refused ? refused.Message : null;
}
