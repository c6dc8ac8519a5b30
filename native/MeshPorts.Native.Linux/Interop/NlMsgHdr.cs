namespace MeshPorts.Native.Linux.Interop;

/// <summary>struct nlmsghdr from &lt;linux/netlink.h&gt;.</summary>
internal struct NlMsgHdr
{
    public uint Length;
    public ushort Type;
    public ushort Flags;
    public uint Sequence;
    public uint PortId;
}
