namespace MeshPorts.Native.Linux.Interop;

/// <summary>struct ifaddrmsg from &lt;linux/if_addr.h&gt;.</summary>
internal struct IfAddrMsg
{
    public byte Family;
    public byte PrefixLength;
    public byte Flags;
    public byte Scope;
    public uint Index;
}
