namespace MeshPorts.Native.Linux.Interop;

/// <summary>
/// Blocking on a non-blocking fd with a way out: poll() on the fd together with an eventfd that the
/// owner writes once when it closes. The eventfd is never read, so it stays readable and wakes every
/// waiter, present and future, which is what makes Dispose unblock readers.
/// </summary>
internal static unsafe class FdWait
{
    public static Readiness Wait(int fd, short events, int wakeFd)
    {
        var fds = stackalloc PollFd[2];
        while (true)
        {
            fds[0] = new PollFd { Fd = fd, Events = events };
            fds[1] = new PollFd { Fd = wakeFd, Events = SocketConstants.POLLIN };
            var n = LibC.Poll(fds, 2, -1);
            if (n < 0)
            {
                var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                throw new NativeException(errno, "poll");
            }

            if (fds[1].REvents != 0)
            {
                return Readiness.WokenUp;
            }

            if (fds[0].REvents != 0)
            {
                return Readiness.Ready;
            }
        }
    }

    /// <summary>Creates the wake-up eventfd.</summary>
    public static FileDescriptorHandle CreateWakeEvent() =>
        FileDescriptorHandle.FromResult(
            LibC.EventFd(0, SocketConstants.EFD_NONBLOCK | SocketConstants.EFD_CLOEXEC), "eventfd");

    /// <summary>Makes the eventfd readable for good. Safe to call more than once.</summary>
    public static void Signal(FileDescriptorHandle wake)
    {
        var added = false;
        try
        {
            wake.DangerousAddRef(ref added);
            ulong one = 1;
            _ = LibC.Write(wake.Fd, (byte*)&one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // Already closed: every waiter has been woken before.
        }
        finally
        {
            if (added)
            {
                wake.DangerousRelease();
            }
        }
    }
}
