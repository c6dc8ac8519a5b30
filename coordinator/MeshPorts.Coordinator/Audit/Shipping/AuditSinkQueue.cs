using System.Threading.Channels;
using MeshPorts.Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.Audit.Shipping;

/// <summary>
/// One sink's bounded queue and the task that drains it: a slow or dead sink fills its own queue, and what does
/// not fit is dropped for that sink and counted, so neither the commit nor the other sinks ever wait on it.
/// </summary>
internal sealed class AuditSinkQueue : IAsyncDisposable
{
    private readonly IAuditSink _sink;
    private readonly Channel<AuditRecord> _channel;
    private readonly int _capacity;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _drain = Task.CompletedTask;
    private long _shipped;
    private long _dropped;
    private int _full;
    private bool _failing;

    public AuditSinkQueue(IAuditSink sink, int capacity, ILogger logger)
    {
        _sink = sink;
        _capacity = capacity;
        _logger = logger;
        _channel = Channel.CreateBounded<AuditRecord>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
    }

    public string Name => _sink.Name;

    public long Shipped => Interlocked.Read(ref _shipped);

    /// <summary>Events this sink never got: the queue was full, or the sink refused or failed them.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public int Queued => _channel.Reader.Count;

    /// <summary>Never waits: the event is queued, or dropped and counted.</summary>
    public void Offer(AuditRecord record)
    {
        if (_channel.Writer.TryWrite(record))
        {
            Volatile.Write(ref _full, 0);
            return;
        }

        Interlocked.Increment(ref _dropped);
        if (Interlocked.Exchange(ref _full, 1) == 0)
        {
            ShippingLog.QueueFull(_logger, Name, _capacity);
        }
    }

    public void Start() => _drain = Task.Run(() => DrainAsync(_stop.Token));

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        await foreach (var record in _channel.Reader.ReadAllAsync(cancellationToken))
        {
            try
            {
                await _sink.SendAsync(record, cancellationToken);
                Interlocked.Increment(ref _shipped);
                if (_failing)
                {
                    _failing = false;
                    ShippingLog.Recovered(_logger, Name, record.Seq);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // whatever a sink throws, the event is counted and the next one tried
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _dropped);
                if (!_failing)
                {
                    _failing = true;
                    ShippingLog.SendFailed(_logger, Name, record.Seq, ex.Message);
                }
            }
        }
    }

    /// <summary>Stops taking events, gives the queue up to <paramref name="drainFor"/> to empty, then stops the sink.</summary>
    public async ValueTask StopAsync(TimeSpan drainFor)
    {
        _channel.Writer.TryComplete();
        try
        {
            await _drain.WaitAsync(drainFor);
        }
        catch (TimeoutException)
        {
            await _stop.CancelAsync();
        }

        try
        {
            await _drain;
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(2));
        await _sink.DisposeAsync();
        _stop.Dispose();
    }
}
