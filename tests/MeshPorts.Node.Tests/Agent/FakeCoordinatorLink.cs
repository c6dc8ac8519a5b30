using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.Coordinator;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Tests.Agent;

/// <summary>
/// The coordinator as the agent sees it: each Watch call gets its own channel the test writes events to
/// (or completes with an error); acks, key registrations and denied-flow reports are recorded in order.
/// </summary>
internal sealed class FakeCoordinatorLink(ConcurrentQueue<string> log) : ICoordinatorLink
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly Channel<WatchCall> _watchCalls = Channel.CreateUnbounded<WatchCall>();
    private readonly Channel<ulong> _acks = Channel.CreateUnbounded<ulong>();
    private readonly Channel<WgKey> _rotations = Channel.CreateUnbounded<WgKey>();
    private readonly Channel<IReadOnlyList<DeniedFlow>> _reports = Channel.CreateUnbounded<IReadOnlyList<DeniedFlow>>();
    private int _watchCount;
    private int _replica;

    /// <summary>What FatalReason answers; null = retry.</summary>
    public Func<Exception, string?> Fatal { get; set; } = _ => null;

    /// <summary>Runs inside RotateKeyAsync before it answers; lets a test hold a rotation open.</summary>
    public Func<Task> BeforeRotateAnswer { get; set; } = () => Task.CompletedTask;

    public int WatchCount => Volatile.Read(ref _watchCount);

    public async Task<WatchCall> NextWatchAsync(string what)
    {
        try
        {
            return await _watchCalls.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"the agent did not call Watch ({what}) within {Wait.TotalSeconds:0} s; {WatchCount} calls so far");
        }
    }

    /// <summary>Waits for an ack of exactly <paramref name="serial"/>, skipping earlier ones.</summary>
    public async Task AckedAsync(ulong serial)
    {
        using var timeout = new CancellationTokenSource(Wait);
        try
        {
            while (await _acks.Reader.ReadAsync(timeout.Token) != serial)
            {
            }
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"serial {serial} was not acked within {Wait.TotalSeconds:0} s; Watch was called {WatchCount} times");
        }
    }

    public async Task<WgKey> NextRotationAsync()
    {
        try
        {
            return await _rotations.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"the agent did not call RotateKey within {Wait.TotalSeconds:0} s");
        }
    }

    public async Task<IReadOnlyList<DeniedFlow>> NextReportAsync()
    {
        try
        {
            return await _reports.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"the agent did not report denied flows within {Wait.TotalSeconds:0} s");
        }
    }

    public async IAsyncEnumerable<WatchEvent> WatchAsync(ulong resumeFromSerial, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var events = Channel.CreateUnbounded<WatchEvent>();
        Interlocked.Increment(ref _watchCount);
        log.Enqueue($"watch:{resumeFromSerial}");
        _watchCalls.Writer.TryWrite(new WatchCall(resumeFromSerial, events.Writer));
        await foreach (var watchEvent in events.Reader.ReadAllAsync(cancellation))
        {
            yield return watchEvent;
        }
    }

    public Task AckAsync(ulong appliedSerial, CancellationToken cancellation)
    {
        log.Enqueue($"ack:{appliedSerial}");
        _acks.Writer.TryWrite(appliedSerial);
        return Task.CompletedTask;
    }

    public async Task<RotateKeyResponse> RotateKeyAsync(ReadOnlyMemory<byte> newPublicKey, CancellationToken cancellation)
    {
        var key = WgKey.FromBytes(newPublicKey.Span);
        log.Enqueue("rotate:" + key.ToBase64());
        _rotations.Writer.TryWrite(key);
        await BeforeRotateAnswer().WaitAsync(cancellation);
        return new RotateKeyResponse { KeyExpiresAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1)), Serial = 0 };
    }

    public Task ReportDeniedFlowsAsync(IReadOnlyList<DeniedFlow> flows, CancellationToken cancellation)
    {
        _reports.Writer.TryWrite(flows);
        return Task.CompletedTask;
    }

    /// <summary>Endpoint reports in the order the agent sent them.</summary>
    public ConcurrentQueue<EndpointReport> EndpointReports { get; } = new();

    /// <summary>Peers the agent asked to be called by, in order.</summary>
    public ConcurrentQueue<string> CallMes { get; } = new();

    /// <summary>What GetRelayTicketAsync answers; the default has no relays.</summary>
    public Func<RelayTicketResponse> RelayTicket { get; set; } = () => new RelayTicketResponse();

    public Task ReportEndpointsAsync(EndpointReport report, CancellationToken cancellation)
    {
        EndpointReports.Enqueue(report.Clone());
        return Task.CompletedTask;
    }

    public Task CallMeAsync(string peerNodeId, CancellationToken cancellation)
    {
        CallMes.Enqueue(peerNodeId);
        return Task.CompletedTask;
    }

    public Task<RelayTicketResponse> GetRelayTicketAsync(CancellationToken cancellation) => Task.FromResult(RelayTicket());

    /// <summary>Replicas the fake pretends to have; MoveToNextReplica cycles through them and logs "replica N".</summary>
    public IReadOnlyList<Uri> Replicas { get; set; } = [new Uri("https://replica-0:7443")];

    public Uri? CurrentUrl => Replicas[Volatile.Read(ref _replica) % Replicas.Count];

    public void MoveToNextReplica()
    {
        var next = Interlocked.Increment(ref _replica) % Replicas.Count;
        log.Enqueue($"replica {next}");
    }

    public string? FatalReason(Exception error) => Fatal(error);
}
