using MeshPorts.Contracts.Node;

namespace MeshPorts.LoadTest;

/// <summary>A node's interest in one future Watch event.</summary>
internal sealed class Waiter(Func<WatchEvent, bool> match)
{
    public Func<WatchEvent, bool> Match { get; } = match;

    public TaskCompletionSource<Arrival> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
