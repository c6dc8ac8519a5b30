namespace MeshPorts.Native.Linux.Interop;

/// <summary>struct rtmsg from &lt;linux/rtnetlink.h&gt;.</summary>
internal struct RtMsg
{
    public byte Family;
    public byte DestinationLength;
    public byte SourceLength;
    public byte Tos;
    public byte Table;
    public byte Protocol;
    public byte Scope;
    public byte Type;
    public uint Flags;
}
