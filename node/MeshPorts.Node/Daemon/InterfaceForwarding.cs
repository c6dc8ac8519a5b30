using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Daemon;

/// <summary>
/// Turns IPv4 and IPv6 forwarding off on the mesh interface, in the daemon's own network namespace, so
/// the host does not route what peers send on to its other networks. Defence in depth only: the filter's
/// destination check is the guarantee (and Linux decides IPv6 forwarding by the global setting, not this
/// interface's).
/// </summary>
internal static class InterfaceForwarding
{
    public const string DefaultProcSys = "/proc/sys/net";

    /// <summary>Writes 0 to both settings; logs a warning for each it cannot write and returns how many it wrote.</summary>
    public static int Disable(string interfaceName, ILogger logger, string procSys = DefaultProcSys)
    {
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        var written = 0;
        foreach (var family in (ReadOnlySpan<string>)["ipv4", "ipv6"])
        {
            var setting = Path.Combine(procSys, family, "conf", interfaceName, "forwarding");
            try
            {
                // procfs takes a write to an existing file only; never create one.
                using var file = new FileStream(setting, FileMode.Open, FileAccess.Write);
                file.Write("0\n"u8);
                written++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                DaemonLog.ForwardingNotDisabled(logger, interfaceName, setting, ex.Message);
            }
        }

        return written;
    }
}
