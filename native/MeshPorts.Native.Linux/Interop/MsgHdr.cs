namespace MeshPorts.Native.Linux.Interop;

/// <summary>struct msghdr from &lt;sys/socket.h&gt; (glibc/musl 64-bit layout: size_t lengths, int flags).</summary>
internal unsafe struct MsgHdr
{
    public void* Name;
    public uint NameLength;
    public IoVec* Iov;
    public nuint IovLength;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}
