using System.Globalization;

namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>How and when (wall clock) one end of a TCP connection saw it end: "ended KIND UNIXSECONDS".</summary>
internal sealed record TcpEnd(string Kind, DateTimeOffset At)
{
    public static TcpEnd? TryParse(string line)
    {
        var parts = line.Trim().Split(' ');
        return parts is ["ended", var kind, var at] && double.TryParse(at, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            ? new TcpEnd(kind, DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)))
            : null;
    }
}
