namespace MeshPorts.Native.Linux.Interop;

/// <summary>errno values this project reacts to, from &lt;asm-generic/errno-base.h&gt; and &lt;asm-generic/errno.h&gt;.</summary>
internal static class Errno
{
    internal const int EPERM = 1;
    internal const int ENOENT = 2;
    internal const int EINTR = 4;
    internal const int EIO = 5;
    internal const int EBADF = 9;
    internal const int EAGAIN = 11;
    internal const int ENOMEM = 12;
    internal const int EACCES = 13;
    internal const int EBUSY = 16;
    internal const int EEXIST = 17;
    internal const int ENODEV = 19;
    internal const int EINVAL = 22;
    internal const int EBADFD = 77;
    internal const int EMSGSIZE = 90;
    internal const int EOPNOTSUPP = 95;
    internal const int EAFNOSUPPORT = 97;
    internal const int EADDRINUSE = 98;
    internal const int EADDRNOTAVAIL = 99;
    internal const int ENETDOWN = 100;
    internal const int ENETUNREACH = 101;
    internal const int ENOBUFS = 105;
    internal const int ECONNREFUSED = 111;
    internal const int EHOSTUNREACH = 113;

    /// <summary>Kernel-internal ENOTSUPP, which some socket paths leak to user space.</summary>
    internal const int ENOTSUPP = 524;
}
