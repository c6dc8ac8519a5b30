namespace MeshPorts.Native.Linux.Interop;

/// <summary>struct iovec from &lt;sys/uio.h&gt;.</summary>
internal unsafe struct IoVec
{
    public void* Base;
    public nuint Length;
}
