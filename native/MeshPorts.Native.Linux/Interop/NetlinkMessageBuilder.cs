using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MeshPorts.Native.Linux.Interop;

/// <summary>
/// Lays out one netlink request: nlmsghdr, a fixed family header (ifinfomsg, ifaddrmsg, rtmsg) and
/// 4-byte-aligned rtattr attributes, as NLMSG_ALIGN/RTA_ALIGN in &lt;linux/netlink.h&gt; and
/// &lt;linux/rtnetlink.h&gt; describe.
/// </summary>
internal sealed class NetlinkMessageBuilder
{
    private readonly byte[] _buffer = new byte[512];
    private int _length;

    public NetlinkMessageBuilder(ushort type, ushort flags, uint sequence)
    {
        _length = Unsafe.SizeOf<NlMsgHdr>();
        var header = new NlMsgHdr { Type = type, Flags = flags, Sequence = sequence };
        MemoryMarshal.Write(_buffer, in header);
    }

    public ReadOnlySpan<byte> Message => _buffer.AsSpan(0, _length);

    public void AddHeader<T>(in T body)
        where T : unmanaged
    {
        MemoryMarshal.Write(_buffer.AsSpan(_length), in body);
        _length = NetlinkConstants.Align(_length + Unsafe.SizeOf<T>());
        Finish();
    }

    public void AddAttribute(ushort type, ReadOnlySpan<byte> payload)
    {
        var attribute = new RtAttr { Type = type, Length = (ushort)(Unsafe.SizeOf<RtAttr>() + payload.Length) };
        MemoryMarshal.Write(_buffer.AsSpan(_length), in attribute);
        payload.CopyTo(_buffer.AsSpan(_length + Unsafe.SizeOf<RtAttr>()));
        _length = NetlinkConstants.Align(_length + attribute.Length);
        Finish();
    }

    public void AddAttribute(ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(uint)];
        MemoryMarshal.Write(bytes, in value);
        AddAttribute(type, bytes);
    }

    private void Finish() => MemoryMarshal.Write(_buffer, (uint)_length);
}
