namespace MeshPorts.Node.Device;

/// <summary>Per-reason drop counters of the device; cheap to bump from any thread.</summary>
internal sealed class DeviceCounters
{
    private readonly long[] _drops = new long[Enum.GetValues<DeviceDrop>().Length];

    public void Drop(DeviceDrop reason) => Interlocked.Increment(ref _drops[(int)reason]);

    public long this[DeviceDrop reason] => Interlocked.Read(ref _drops[(int)reason]);

    public long TotalDrops
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _drops.Length; i++)
            {
                sum += Interlocked.Read(ref _drops[i]);
            }

            return sum;
        }
    }
}
