using System.Runtime.InteropServices;
using MeshPorts.Native.Linux.Interop;

namespace MeshPorts.Native.Linux;

/// <summary>
/// A failed Linux system call: carries the errno so callers can react to specific failures
/// (EEXIST, EPERM, ENODEV...) and a message naming the operation and what to do about it.
/// </summary>
public sealed class NativeException : IOException
{
    public NativeException()
        : this(0, "native call")
    {
    }

    public NativeException(string message)
        : base(message)
    {
    }

    public NativeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public NativeException(int errno, string operation, string? hint = null)
        : base(FormatMessage(errno, operation, hint))
    {
        Errno = errno;
        Operation = operation;
    }

    /// <summary>The errno value (positive), 0 when not from a system call.</summary>
    public int Errno { get; }

    /// <summary>The call that failed, e.g. "ioctl(TUNSETIFF) on 'mp0'".</summary>
    public string? Operation { get; }

    internal static NativeException FromLastError(string operation, string? hint = null) =>
        new(Marshal.GetLastPInvokeError(), operation, hint);

    internal static unsafe string Describe(int errno)
    {
        var text = LibC.StrError(errno);
        return text == null ? $"errno {errno}" : Marshal.PtrToStringUTF8((IntPtr)text) ?? $"errno {errno}";
    }

    private static string FormatMessage(int errno, string operation, string? hint) =>
        hint is null
            ? $"{operation} failed: {Describe(errno)} (errno {errno})."
            : $"{operation} failed: {Describe(errno)} (errno {errno}). {hint}";
}
