using MeshPorts.Node.Uapi;

namespace MeshPorts.Node.Tests.Uapi;

/// <summary>Records every applied request and serves a fixed snapshot.</summary>
internal sealed class FakeUapiDevice : IUapiDevice
{
    private readonly Lock _lock = new();
    private readonly List<UapiSetRequest> _applied = [];

    public UapiDeviceSnapshot Current { get; set; } = new();

    /// <summary>What Apply returns.</summary>
    public int ApplyResult { get; set; }

    public bool ThrowOnSnapshot { get; set; }

    public IReadOnlyList<UapiSetRequest> Applied
    {
        get
        {
            lock (_lock)
            {
                return [.. _applied];
            }
        }
    }

    public UapiDeviceSnapshot Snapshot() =>
        ThrowOnSnapshot ? throw new InvalidOperationException("device broke") : Current;

    public int Apply(UapiSetRequest request)
    {
        lock (_lock)
        {
            _applied.Add(request);
        }

        return ApplyResult;
    }
}
