namespace MeshPorts.Native.Linux.Interop;

/// <summary>
/// One direction's preallocated recvmmsg/sendmmsg arrays: N mmsghdr, N iovec, N sockaddr_in6 and N
/// control buffers in a single native block, wired together once so a batch call only fills in
/// buffers and lengths.
/// </summary>
internal sealed unsafe class BatchHeaders : IDisposable
{
    /// <summary>
    /// Control bytes per message: CMSG_SPACE(sizeof(int)), a 16-byte cmsghdr and the value padded to 8,
    /// enough for UDP_SEGMENT (u16) on send and UDP_GRO (int) on receive.
    /// </summary>
    public const int ControlSize = 24;

    private readonly NativeMemoryHandle _memory;

    public BatchHeaders(int count)
    {
        var bytes = (nuint)count * (nuint)(sizeof(MMsgHdr) + sizeof(IoVec) + sizeof(SockAddrIn6) + ControlSize);
        _memory = new NativeMemoryHandle(bytes);
        Messages = (MMsgHdr*)_memory.Pointer;
        Iovecs = (IoVec*)(Messages + count);
        // Controls before names: mmsghdr (64) and iovec (16) keep them 8-aligned, 28-byte names would not.
        Controls = (byte*)(Iovecs + count);
        Names = (SockAddrIn6*)(Controls + ((nint)count * ControlSize));
        for (var i = 0; i < count; i++)
        {
            Messages[i].Header.Iov = &Iovecs[i];
            Messages[i].Header.IovLength = 1;
            Messages[i].Header.Name = &Names[i];
            Messages[i].Header.NameLength = (uint)sizeof(SockAddrIn6);
        }
    }

    public MMsgHdr* Messages { get; }

    public IoVec* Iovecs { get; }

    public SockAddrIn6* Names { get; }

    /// <summary><see cref="ControlSize"/> bytes per message, 8-aligned as cmsghdr needs.</summary>
    public byte* Controls { get; }

    /// <summary>Keeps the memory alive for one call even if the socket is disposed meanwhile.</summary>
    public bool TryEnter()
    {
        var added = false;
        try
        {
            _memory.DangerousAddRef(ref added);
            return added;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    public void Leave() => _memory.DangerousRelease();

    public void Dispose() => _memory.Dispose();
}
