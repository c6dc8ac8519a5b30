using System.Globalization;

namespace MeshPorts.LoadTest.Relay;

/// <summary>
/// The kernel's UDP counters for this network namespace (/proc/net/snmp, "Udp:" lines): a datagram
/// dropped because a socket's receive buffer was full is counted in RcvbufErrors, so a loss the relay
/// never saw is told apart from one it dropped. Every socket of the namespace counts, not only ours.
/// </summary>
internal readonly record struct UdpKernelCounters(long ReceiveBufferErrors, long SendBufferErrors)
{
    public static UdpKernelCounters? Read()
    {
        const string Path = "/proc/net/snmp";
        if (!File.Exists(Path))
        {
            return null;
        }

        var lines = File.ReadLines(Path).Where(l => l.StartsWith("Udp: ", StringComparison.Ordinal)).ToArray();
        if (lines.Length < 2)
        {
            return null;
        }

        var names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long Field(string name) => Array.IndexOf(names, name) is var i and > 0 && i < values.Length
            ? long.Parse(values[i], CultureInfo.InvariantCulture)
            : 0;
        return new UdpKernelCounters(Field("RcvbufErrors"), Field("SndbufErrors"));
    }

    public static UdpKernelCounters? Growth(UdpKernelCounters? before, UdpKernelCounters? after) =>
        before is { } b && after is { } a ? new UdpKernelCounters(a.ReceiveBufferErrors - b.ReceiveBufferErrors, a.SendBufferErrors - b.SendBufferErrors) : null;
}
