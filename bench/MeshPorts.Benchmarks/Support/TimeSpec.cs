using System.Runtime.InteropServices;

namespace MeshPorts.Benchmarks.Support;

/// <summary>struct timespec on 64-bit Linux (time.h): two longs.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TimeSpec
{
    public long Seconds;
    public long Nanoseconds;
}
