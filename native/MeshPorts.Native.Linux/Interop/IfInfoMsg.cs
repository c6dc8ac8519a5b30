namespace MeshPorts.Native.Linux.Interop;

/// <summary>struct ifinfomsg from &lt;linux/rtnetlink.h&gt;.</summary>
internal struct IfInfoMsg
{
    public byte Family;
    public byte Pad;
    public ushort Type;
    public int Index;
    public uint Flags;
    public uint Change;
}
