namespace MeshPorts.Native.Linux.Interop;

/// <summary>struct pollfd from &lt;poll.h&gt;.</summary>
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short REvents;
}
