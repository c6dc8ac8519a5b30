namespace MeshPorts.Native.Linux.Interop;

/// <summary>
/// One direction's preallocated recvmmsg/sendmmsg arrays: N mmsghdr, N iovec and N sockaddr_in6 in
/// a single native block, wired together once so a batch call only fills in buffers and lengths.
/// </summary>
internal sealed unsafe class BatchHeaders : IDisposable
{
    private readonly NativeMemoryHandle _memory;

    public BatchHeaders(int count)
    {
        var bytes = (nuint)count * (nuint)(sizeof(MMsgHdr) + sizeof(IoVec) + sizeof(SockAddrIn6));
        _memory = new NativeMemoryHandle(bytes);
        Messages = (MMsgHdr*)_memory.Pointer;
        Iovecs = (IoVec*)(Messages + count);
        Names = (SockAddrIn6*)(Iovecs + count);
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
