namespace MeshPorts.Native.Linux.Interop;

/// <summary>Interface names and flags, from &lt;linux/if.h&gt;.</summary>
internal static class IfConstants
{
    /// <summary>Names are at most 15 bytes plus the terminating NUL.</summary>
    internal const int IFNAMSIZ = 16;

    internal const short IFF_UP = 0x1;
    internal const short IFF_RUNNING = 0x40;
    internal const short IFF_NOARP = 0x80;
    internal const short IFF_POINTOPOINT = 0x10;
}
