using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MeshPorts.Native.Linux.Interop;

/// <summary>
/// struct ifreq from &lt;linux/if.h&gt;: a 16-byte name and a 24-byte union (the largest member is
/// struct ifmap on 64-bit). Only the union members this project uses are mapped.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal struct IfReq
{
    [FieldOffset(0)]
    public NameBuffer Name;

    /// <summary>ifr_flags (TUNSETIFF, SIOCGIFFLAGS, SIOCSIFFLAGS).</summary>
    [FieldOffset(16)]
    public short Flags;

    /// <summary>ifr_mtu (SIOCGIFMTU, SIOCSIFMTU).</summary>
    [FieldOffset(16)]
    public int Mtu;

    [InlineArray(IfConstants.IFNAMSIZ)]
    internal struct NameBuffer
    {
        private byte _first;
    }
}
