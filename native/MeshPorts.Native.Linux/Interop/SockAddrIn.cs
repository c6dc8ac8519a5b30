using System.Runtime.CompilerServices;

namespace MeshPorts.Native.Linux.Interop;

/// <summary>struct sockaddr_in from &lt;linux/in.h&gt;: used only when the kernel has no IPv6 at all.</summary>
internal struct SockAddrIn
{
    public ushort Family;
    public ushort PortNetworkOrder;
    public Address4 Address;
    public Zero8 Zero;

    [InlineArray(4)]
    internal struct Address4
    {
        private byte _first;
    }

    [InlineArray(8)]
    internal struct Zero8
    {
        private byte _first;
    }
}
