namespace MeshPorts.Native.Linux.Interop;

/// <summary>struct rtattr from &lt;linux/rtnetlink.h&gt;: a length-type header before each attribute payload.</summary>
internal struct RtAttr
{
    public ushort Length;
    public ushort Type;
}
