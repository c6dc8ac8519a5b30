using System.Runtime.InteropServices;

namespace MeshPorts.Native.Linux.Interop;

/// <summary>
/// Owns a file descriptor. Callers that block on the fd take a reference (DangerousAddRef) for the
/// duration of the call, so Dispose from another thread defers close() until they return and the
/// number can never be reused under a reader's feet.
/// </summary>
internal sealed class FileDescriptorHandle : SafeHandle
{
    public FileDescriptorHandle()
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == -1;

    /// <summary>The raw descriptor; only meaningful while a reference is held.</summary>
    public int Fd => (int)handle;

    /// <summary>Wraps the result of a syscall that returns an fd, throwing the captured errno on -1.</summary>
    public static FileDescriptorHandle FromResult(int fd, string operation)
    {
        if (fd < 0)
        {
            throw NativeException.FromLastError(operation);
        }

        var result = new FileDescriptorHandle();
        result.SetHandle(fd);
        return result;
    }

    protected override bool ReleaseHandle() => LibC.Close((int)handle) == 0;
}
