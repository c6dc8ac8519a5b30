namespace MeshPorts.Native.Linux.Interop;

/// <summary>struct sockaddr_nl from &lt;linux/netlink.h&gt;.</summary>
internal struct SockAddrNl
{
    public ushort Family;
    public ushort Pad;
    public uint PortId;
    public uint Groups;
}
