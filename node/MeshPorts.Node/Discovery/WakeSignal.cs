namespace MeshPorts.Node.Discovery;

/// <summary>A loop's "something changed, look again": many sets before a wait make one wake.</summary>
internal sealed class WakeSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Set() => Volatile.Read(ref _next).TrySetResult();

    /// <summary>Returns when set (since the last wait) or after <paramref name="timeout"/> on <paramref name="time"/>'s clock.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellation)
    {
        var signal = Volatile.Read(ref _next);
        if (!signal.Task.IsCompleted && timeout > TimeSpan.Zero)
        {
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            var delay = Task.Delay(timeout, time, timer.Token);
            await Task.WhenAny(signal.Task, delay).ConfigureAwait(false);
            await timer.CancelAsync().ConfigureAwait(false);
            cancellation.ThrowIfCancellationRequested();
        }

        if (signal.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), signal);
        }
    }
}
