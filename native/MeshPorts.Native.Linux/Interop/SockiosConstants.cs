namespace MeshPorts.Native.Linux.Interop;

/// <summary>Socket-level interface ioctls, from &lt;linux/sockios.h&gt;.</summary>
internal static class SockiosConstants
{
    internal const uint SIOCGIFFLAGS = 0x8913;
    internal const uint SIOCSIFFLAGS = 0x8914;
    internal const uint SIOCGIFMTU = 0x8921;
    internal const uint SIOCSIFMTU = 0x8922;
}
