namespace MeshPorts.Native.Linux.Interop;

/// <summary>struct mmsghdr from &lt;sys/socket.h&gt; (_GNU_SOURCE): one message of a recvmmsg/sendmmsg batch.</summary>
internal struct MMsgHdr
{
    public MsgHdr Header;

    /// <summary>Bytes received or sent for this message, filled by the kernel.</summary>
    public uint Length;
}
