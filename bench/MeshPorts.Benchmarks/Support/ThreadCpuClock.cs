using System.Runtime.InteropServices;

namespace MeshPorts.Benchmarks.Support;

/// <summary>
/// CPU time consumed by the calling thread. On a shared 2-core machine wall-clock figures swell with
/// every other process's load; thread CPU time only counts the time this thread was on a core, so it
/// stays close to what the code costs on an idle machine (cache and frequency effects remain).
/// </summary>
internal static partial class ThreadCpuClock
{
    // CLOCK_THREAD_CPUTIME_ID from linux/time.h.
    private const int ClockThreadCpuTimeId = 3;

    public static long Nanoseconds
    {
        get
        {
            if (ClockGetTime(ClockThreadCpuTimeId, out var ts) != 0)
            {
                throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
            }

            return (ts.Seconds * 1_000_000_000) + ts.Nanoseconds;
        }
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out TimeSpec time);
}
