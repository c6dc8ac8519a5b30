namespace MeshPorts.Native.Linux.Interop;

/// <summary>Address attributes, from &lt;linux/if_addr.h&gt;.</summary>
internal static class IfAddrConstants
{
    internal const ushort IFA_ADDRESS = 1;
    internal const ushort IFA_LOCAL = 2;

    /// <summary>Skip duplicate address detection: an overlay address is unique by construction.</summary>
    internal const byte IFA_F_NODAD = 0x02;
}
