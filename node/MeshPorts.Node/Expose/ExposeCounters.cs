namespace MeshPorts.Node.Expose;

/// <summary>Live counters of one exposed port, updated from many relays at once.</summary>
internal sealed class ExposeCounters
{
    private long _connections;
    private long _active;
    private long _failures;
    private long _bytesToService;
    private long _bytesFromService;

    /// <summary>TCP connections accepted, or UDP sessions opened, since start.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>TCP connections or UDP sessions open now.</summary>
    public long Active => Interlocked.Read(ref _active);

    /// <summary>Connections the local service refused or did not take in time, over-limit connections and sessions, and relay errors.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Payload bytes from overlay peers to the local service.</summary>
    public long BytesToService => Interlocked.Read(ref _bytesToService);

    /// <summary>Payload bytes from the local service back to overlay peers.</summary>
    public long BytesFromService => Interlocked.Read(ref _bytesFromService);

    internal void Opened()
    {
        Interlocked.Increment(ref _connections);
        Interlocked.Increment(ref _active);
    }

    internal void Closed() => Interlocked.Decrement(ref _active);

    internal void Failed() => Interlocked.Increment(ref _failures);

    internal void ToService(int bytes) => Interlocked.Add(ref _bytesToService, bytes);

    internal void FromService(int bytes) => Interlocked.Add(ref _bytesFromService, bytes);
}
