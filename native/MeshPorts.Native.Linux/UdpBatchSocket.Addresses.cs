using System.Buffers.Binary;
using MeshPorts.Native.Linux.Interop;

namespace MeshPorts.Native.Linux;

/// <summary>
/// <see cref="UdpAddress"/> to and from the kernel's sockaddr_in6, or sockaddr_in on the IPv4-only
/// fallback, so the rest of the node only ever sees one address shape.
/// </summary>
public sealed unsafe partial class UdpBatchSocket
{
    /// <summary>
    /// Fills the kernel address for a destination and returns its length: a sockaddr_in6 on the
    /// dual-stack socket; on the IPv4-only fallback a sockaddr_in for IPv4 destinations (an IPv6 one
    /// stays sockaddr_in6 and the kernel refuses it with EAFNOSUPPORT, which counts as a drop).
    /// </summary>
    private uint WriteName(in UdpAddress destination, SockAddrIn6* name)
    {
        *name = default;
        if (!_isIPv6 && destination.IsIPv4)
        {
            var v4 = (SockAddrIn*)name;
            v4->Family = SocketConstants.AF_INET;
            v4->PortNetworkOrder = BinaryPrimitives.ReverseEndianness(destination.Port);
            destination.Address16[12..].CopyTo(new Span<byte>(&v4->Address, 4));
            return (uint)sizeof(SockAddrIn);
        }

        name->Family = SocketConstants.AF_INET6;
        name->PortNetworkOrder = BinaryPrimitives.ReverseEndianness(destination.Port);
        name->ScopeId = destination.ScopeId;
        destination.CopyAddressTo(new Span<byte>(&name->Address, 16));
        return (uint)sizeof(SockAddrIn6);
    }

    private static UdpAddress ReadName(SockAddrIn6* name)
    {
        if (name->Family == SocketConstants.AF_INET6)
        {
            return new UdpAddress(new ReadOnlySpan<byte>(&name->Address, 16), BinaryPrimitives.ReverseEndianness(name->PortNetworkOrder), name->ScopeId);
        }

        // IPv4-only fallback: report the source v4-mapped, as the dual-stack socket would.
        var v4 = (SockAddrIn*)name;
        Span<byte> mapped = stackalloc byte[16];
        mapped[10] = 0xFF;
        mapped[11] = 0xFF;
        new ReadOnlySpan<byte>(&v4->Address, 4).CopyTo(mapped[12..]);
        return new UdpAddress(mapped, BinaryPrimitives.ReverseEndianness(v4->PortNetworkOrder));
    }
}
