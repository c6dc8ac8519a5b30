using System.Runtime.InteropServices;

namespace MeshPorts.Native.Linux.Interop;

/// <summary>
/// Zeroed native memory whose address the kernel is handed (mmsghdr, iovec and sockaddr arrays), so
/// the GC never moves it and a concurrent Dispose cannot free it while a batch call is inside the kernel.
/// </summary>
internal sealed unsafe class NativeMemoryHandle : SafeHandle
{
    public NativeMemoryHandle(nuint byteCount)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle((IntPtr)NativeMemory.AllocZeroed(byteCount));
        ByteCount = byteCount;
    }

    public nuint ByteCount { get; }

    public override bool IsInvalid => handle == IntPtr.Zero;

    public void* Pointer => (void*)handle;

    protected override bool ReleaseHandle()
    {
        NativeMemory.Free((void*)handle);
        return true;
    }
}
