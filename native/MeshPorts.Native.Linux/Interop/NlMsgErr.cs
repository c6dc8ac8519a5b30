namespace MeshPorts.Native.Linux.Interop;

/// <summary>struct nlmsgerr from &lt;linux/netlink.h&gt;: Error is a negative errno, or 0 for an ACK.</summary>
internal struct NlMsgErr
{
    public int Error;
    public NlMsgHdr Request;
}
