using System.Globalization;

namespace MeshPorts.LoadTest;

/// <summary>RSS and CPU time of another process, from /proc (proc(5)).</summary>
internal readonly record struct ProcessStats(long RssKiB, double CpuSeconds)
{
    // USER_HZ, the unit of utime/stime in /proc/PID/stat; 100 on every Linux architecture .NET runs on.
    private const double ClockTicksPerSecond = 100.0;

    public static ProcessStats? Read(int? pid)
    {
        if (pid is not { } p || !File.Exists($"/proc/{p}/stat"))
        {
            return null;
        }

        long rss = 0;
        foreach (var line in File.ReadLines($"/proc/{p}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        // comm (field 2) may contain spaces, so count fields from the closing parenthesis: utime and stime
        // are fields 14 and 15, i.e. the 12th and 13th after ')'.
        var stat = File.ReadAllText($"/proc/{p}/stat");
        var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
        return new ProcessStats(rss, ticks / ClockTicksPerSecond);
    }
}
