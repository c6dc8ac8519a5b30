using System.Runtime.CompilerServices;

namespace MeshPorts.Native.Linux.Interop;

/// <summary>struct sockaddr_in6 from &lt;linux/in6.h&gt;. Port and flow info are in network byte order.</summary>
internal struct SockAddrIn6
{
    public ushort Family;
    public ushort PortNetworkOrder;
    public uint FlowInfo;
    public Address16 Address;
    public uint ScopeId;

    [InlineArray(16)]
    internal struct Address16
    {
        private byte _first;
    }
}
