using System.Diagnostics;
using System.Globalization;

namespace MeshPorts.Ctl.Cli;

/// <summary>
/// MESHCTL_TRACE_TIMING=1: where one meshctl run spends its time, printed to stderr at the end as
/// <c>meshctl: timing startup 9.1 ms, connect 4.2 ms, rpc 1.3 ms, output 0.4 ms, total 15.0 ms</c>.
/// Each phase runs from the previous mark to its own; a phase the command never reached is left out.
/// </summary>
internal sealed class PhaseTimer
{
    public const string Variable = "MESHCTL_TRACE_TIMING";

    private readonly long _start;
    private readonly double _startupMs;
    private readonly List<(string Phase, long At)> _marks = [];
    private readonly Lock _lock = new();

    /// <param name="startupMs">Process start to Main (the runtime's own start; the kernel counts it in 10 ms ticks).</param>
    public PhaseTimer(double startupMs)
    {
        _start = Stopwatch.GetTimestamp();
        _startupMs = startupMs;
    }

    /// <summary>Null unless the variable is 1.</summary>
    public static PhaseTimer? FromEnvironment(Func<string, string?> getEnvironment)
    {
        ArgumentNullException.ThrowIfNull(getEnvironment);
        return getEnvironment(Variable) == "1" ? new PhaseTimer(SinceProcessStart()) : null;
    }

    /// <summary>Ends <paramref name="phase"/> now; only its first mark counts (a retried connection does not move it).</summary>
    public void Mark(string phase)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            if (!_marks.Exists(m => m.Phase == phase))
            {
                _marks.Add((phase, now));
            }
        }
    }

    public string Report()
    {
        var end = Stopwatch.GetTimestamp();
        var parts = new List<string> { Part("startup", _startupMs) };
        var previous = _start;
        lock (_lock)
        {
            foreach (var (phase, at) in _marks.OrderBy(m => m.At))
            {
                parts.Add(Part(phase, Stopwatch.GetElapsedTime(previous, at).TotalMilliseconds));
                previous = at;
            }
        }

        parts.Add(Part("output", Stopwatch.GetElapsedTime(previous, end).TotalMilliseconds));
        parts.Add(Part("total", _startupMs + Stopwatch.GetElapsedTime(_start, end).TotalMilliseconds));
        return "meshctl: timing " + string.Join(", ", parts);
    }

    private static string Part(string phase, double ms) => string.Create(CultureInfo.InvariantCulture, $"{phase} {ms:0.0} ms");

    private static double SinceProcessStart()
    {
        using var self = Process.GetCurrentProcess();
        return Math.Max(0, (DateTime.Now - self.StartTime).TotalMilliseconds);
    }
}
