using MeshPorts.Native.Linux;
using MeshPorts.Node.Io.Offload;

namespace MeshPorts.Node.Io;

/// <summary>
/// The kernel TUN device behind the device's <see cref="ITunDevice"/>. With offloads the kernel hands
/// over TCP and UDP super-packets of up to 64 KiB (one read instead of ~45) that are cut into
/// wire-sized packets here, and takes merged TCP super-packets on write (<see cref="TcpCoalescer"/>).
/// </summary>
internal sealed class LinuxTunDevice : ITunDevice, IVnetPacketSink
{
    // A vnet header and the largest packet a TUN hands over.
    private const int RawSize = VirtioNetHeader.Size + 65535;
    private static readonly byte[] PlainHeader = new byte[VirtioNetHeader.Size];

    private readonly LinuxTun _tun;
    private readonly bool _vnet;
    private readonly byte[] _raw = [];
    private readonly TcpCoalescer? _coalescer;
    private SuperPacket _pending;
    private int _rawLength;
    private long _malformedReads;

    private LinuxTunDevice(LinuxTun tun)
    {
        _tun = tun;
        _vnet = tun.HasVnetHeader;
        if (_vnet)
        {
            _raw = GC.AllocateUninitializedArray<byte>(RawSize);
            _coalescer = new TcpCoalescer();
        }
    }

    public string Name => _tun.Name;

    public int Mtu => _tun.Mtu;

    /// <summary>What the kernel granted, e.g. "csum,tso4,tso6,uso4,uso6"; "none" without offloads.</summary>
    public string Offloads => Describe(_tun.Offloads);

    /// <summary>Packets read from the kernel that could not be parsed or cut up, dropped.</summary>
    public long MalformedReads => Interlocked.Read(ref _malformedReads);

    /// <summary>
    /// Creates TUN <paramref name="name"/> with the given MTU and brings it up; with
    /// <paramref name="offloads"/> it asks for IFF_VNET_HDR, checksum, TSO and USO.
    /// </summary>
    public static LinuxTunDevice Create(string name, int mtu = 1420, bool offloads = true) =>
        new(LinuxTun.Create(name, mtu, new LinuxTunOptions { Offloads = offloads }));

    public int ReadBatch(Span<byte> buffer, int slotSize, Span<int> lengths)
    {
        if (!_vnet)
        {
            return _tun.ReadBatch(buffer, slotSize, lengths);
        }

        var capacity = Math.Min(lengths.Length, buffer.Length / slotSize);
        var count = 0;
        while (true)
        {
            if (!_pending.IsDone)
            {
                var packet = _raw.AsSpan(VirtioNetHeader.Size, _rawLength - VirtioNetHeader.Size);
                count += _pending.WriteSegments(packet, buffer[(count * slotSize)..], slotSize, lengths[count..capacity]);
                if (count == capacity)
                {
                    return count;
                }
            }

            // Block only for the first packet of a batch; after that take what is already queued.
            var n = count == 0 ? _tun.Read(_raw) : _tun.TryRead(_raw);
            if (n == 0)
            {
                return count;
            }

            _rawLength = n;
            if (n <= VirtioNetHeader.Size
                || !_pending.TryStart(VirtioNetHeader.Read(_raw), _raw.AsSpan(VirtioNetHeader.Size, n - VirtioNetHeader.Size), slotSize))
            {
                Interlocked.Increment(ref _malformedReads);
            }
        }
    }

    public bool Write(ReadOnlySpan<byte> packet) => _vnet ? _tun.Write(PlainHeader, packet) : _tun.Write(packet);

    public int WriteBatch(Span<byte> buffer, int slotSize, ReadOnlySpan<int> lengths) => _coalescer is null
        ? ITunDevice.WriteEach(this, buffer, slotSize, lengths)
        : _coalescer.WriteBatch(buffer, slotSize, lengths, this);

    bool IVnetPacketSink.Write(ReadOnlySpan<byte> vnetHeader, ReadOnlySpan<byte> packet) => _tun.Write(vnetHeader, packet);

    public void Dispose() => _tun.Dispose();

    internal static string Describe(TunOffloads offloads)
    {
        if ((offloads & TunOffloads.VnetHeader) == 0)
        {
            return "none";
        }

        var names = new List<string>(5);
        foreach (var (flag, name) in (ReadOnlySpan<(TunOffloads, string)>)[
            (TunOffloads.Checksum, "csum"), (TunOffloads.Tso4, "tso4"), (TunOffloads.Tso6, "tso6"), (TunOffloads.Uso4, "uso4"), (TunOffloads.Uso6, "uso6")])
        {
            if ((offloads & flag) != 0)
            {
                names.Add(name);
            }
        }

        return names.Count == 0 ? "vnet header only" : string.Join(',', names);
    }
}
