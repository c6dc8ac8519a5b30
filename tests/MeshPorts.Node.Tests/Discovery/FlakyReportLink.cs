using MeshPorts.Contracts.Node;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.Tests.Agent;

namespace MeshPorts.Node.Tests.Discovery;

/// <summary>The fake coordinator, with endpoint reports that fail the first <see cref="FailFirst"/> times.</summary>
internal sealed class FlakyReportLink(FakeCoordinatorLink inner) : ICoordinatorLink
{
    private int _calls;

    public int FailFirst { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public IAsyncEnumerable<WatchEvent> WatchAsync(ulong resumeFromSerial, CancellationToken cancellation) => inner.WatchAsync(resumeFromSerial, cancellation);

    public Task AckAsync(ulong appliedSerial, CancellationToken cancellation) => inner.AckAsync(appliedSerial, cancellation);

    public Task<RotateKeyResponse> RotateKeyAsync(ReadOnlyMemory<byte> newPublicKey, CancellationToken cancellation) => inner.RotateKeyAsync(newPublicKey, cancellation);

    public Task ReportDeniedFlowsAsync(IReadOnlyList<DeniedFlow> flows, CancellationToken cancellation) => inner.ReportDeniedFlowsAsync(flows, cancellation);

    public Task ReportEndpointsAsync(EndpointReport report, CancellationToken cancellation) =>
        Interlocked.Increment(ref _calls) <= FailFirst
            ? Task.FromException(new CoordinatorException(CoordinatorErrorKind.Unreachable, "the coordinator is unreachable"))
            : inner.ReportEndpointsAsync(report, cancellation);

    public Task CallMeAsync(string peerNodeId, CancellationToken cancellation) => inner.CallMeAsync(peerNodeId, cancellation);

    public Task<RelayTicketResponse> GetRelayTicketAsync(CancellationToken cancellation) => inner.GetRelayTicketAsync(cancellation);

    public Uri? CurrentUrl => inner.CurrentUrl;

    public void MoveToNextReplica() => inner.MoveToNextReplica();

    public string? FatalReason(Exception error) => inner.FatalReason(error);
}
