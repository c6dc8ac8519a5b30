using System.Buffers.Binary;
using MeshPorts.Native.Linux;
using MeshPorts.Node.Packets;

namespace MeshPorts.Node.Io.Offload;

/// <summary>
/// One packet read from a TUN with offloads, and where its segmentation stands: a plain packet (maybe
/// with a checksum left to finish), a TCP super-packet (TSO) or a UDP one (USO), cut into wire-sized
/// IP packets a few at a time as the caller has room. No allocation.
/// </summary>
internal struct SuperPacket
{
    private Kind _kind;
    private bool _ipv4;
    private int _ipHeaderLength;
    private int _headerLength;
    private int _segmentSize;
    private int _payloadLength;
    private int _nextOffset;
    private int _segmentIndex;
    private ushort _identification;
    private uint _sequence;

    private enum Kind : byte
    {
        Done,
        Plain,
        Tcp,
        Udp,
    }

    /// <summary>True once every segment has been written out.</summary>
    public readonly bool IsDone => _kind == Kind.Done;

    /// <summary>
    /// Reads the virtio header and checks the packet's own headers agree with it. A plain packet with
    /// a partial checksum gets it finished here, in place. Returns false (and the caller drops and
    /// counts the packet) for anything malformed or of a kind this reader did not ask the kernel for.
    /// </summary>
    /// <param name="maxSegment">The largest IP packet one output slot holds.</param>
    public bool TryStart(VirtioNetHeader header, Span<byte> packet, int maxSegment)
    {
        _kind = Kind.Done;
        _nextOffset = 0;
        _segmentIndex = 0;
        if (!IpHeader.TryRead(packet, out var ip) || !ip.HasCompleteHeader)
        {
            return false;
        }

        _ipv4 = !ip.IsIPv6;
        _ipHeaderLength = ip.HeaderLength;
        _identification = ip.Identification;
        var gsoType = (byte)(header.GsoType & ~VirtioNetHeader.GsoEcn);
        if (gsoType == VirtioNetHeader.GsoNone)
        {
            if (packet.Length > maxSegment)
            {
                return false;
            }

            if ((header.Flags & VirtioNetHeader.FlagNeedsChecksum) != 0 && !FinishChecksum(header, packet))
            {
                return false;
            }

            _kind = Kind.Plain;
            _payloadLength = packet.Length;
            return true;
        }

        var protocol = ip.Protocol;
        int transportHeader;
        switch (gsoType)
        {
            case VirtioNetHeader.GsoTcpV4 or VirtioNetHeader.GsoTcpV6 when protocol == IpProtocol.Tcp && (gsoType == VirtioNetHeader.GsoTcpV4) == _ipv4:
                if (!TcpHeader.TryRead(packet[_ipHeaderLength..], out var tcp))
                {
                    return false;
                }

                transportHeader = tcp.HeaderLength;
                _sequence = tcp.Sequence;
                _kind = Kind.Tcp;
                break;
            case VirtioNetHeader.GsoUdpL4 when protocol == IpProtocol.Udp:
                transportHeader = UdpHeader.Size;
                _kind = Kind.Udp;
                break;
            default:
                return false;
        }

        _headerLength = _ipHeaderLength + transportHeader;
        _segmentSize = header.GsoSize;
        if (_headerLength > packet.Length || _segmentSize == 0 || _headerLength + _segmentSize > maxSegment)
        {
            _kind = Kind.Done;
            return false;
        }

        _payloadLength = packet.Length - _headerLength;
        return true;
    }

    /// <summary>
    /// Writes the next segments into <paramref name="slots"/> (slot i at <c>i * slotSize</c>, its
    /// length in <c>lengths[i]</c>) until the packet is done or the slots run out; returns how many.
    /// Every TCP or UDP segment leaves with its own lengths, sequence number, IPv4 ID and checksums.
    /// </summary>
    public int WriteSegments(ReadOnlySpan<byte> packet, Span<byte> slots, int slotSize, Span<int> lengths)
    {
        var capacity = Math.Min(lengths.Length, slots.Length / slotSize);
        var written = 0;
        if (!IpHeader.TryRead(packet, out var ip))
        {
            // Not the packet TryStart accepted: it has no segments.
            _kind = Kind.Done;
            return 0;
        }

        while (_kind != Kind.Done && written < capacity)
        {
            var slot = slots.Slice(written * slotSize, slotSize);
            if (_kind == Kind.Plain)
            {
                packet.CopyTo(slot);
                lengths[written++] = packet.Length;
                _kind = Kind.Done;
                break;
            }

            var size = Math.Min(_segmentSize, _payloadLength - _nextOffset);
            var last = _nextOffset + size >= _payloadLength;
            lengths[written++] = WriteSegment(ip, slot, size, last);
            _nextOffset += size;
            _segmentIndex++;
            if (last)
            {
                _kind = Kind.Done;
            }
        }

        return written;
    }

    private readonly int WriteSegment(in IpHeader ip, Span<byte> slot, int size, bool last)
    {
        var packet = ip.Packet;
        var total = _headerLength + size;
        packet[.._headerLength].CopyTo(slot);
        packet.Slice(_headerLength + _nextOffset, size).CopyTo(slot[_headerLength..]);
        var segment = slot[..total];
        if (_ipv4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment[2..], (ushort)total);
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)(_identification + _segmentIndex));
            BinaryPrimitives.WriteUInt16BigEndian(segment[10..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(segment[10..], InternetChecksum.Finish(InternetChecksum.Add(0, segment[.._ipHeaderLength])));
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)(total - IpHeader.IPv6HeaderSize));
        }

        var transport = segment[_ipHeaderLength..];
        int checksumAt;
        byte protocol;
        if (_kind == Kind.Tcp)
        {
            BinaryPrimitives.WriteUInt32BigEndian(transport[4..], unchecked(_sequence + (uint)_nextOffset));
            var flags = transport[13];
            if (!last)
            {
                flags &= unchecked((byte)~(IpProtocol.TcpFin | IpProtocol.TcpPsh));
            }

            if (_segmentIndex > 0)
            {
                flags &= unchecked((byte)~IpProtocol.TcpCwr);
            }

            transport[13] = flags;
            checksumAt = 16;
            protocol = IpProtocol.Tcp;
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(transport[4..], (ushort)transport.Length);
            checksumAt = 6;
            protocol = IpProtocol.Udp;
        }

        BinaryPrimitives.WriteUInt16BigEndian(transport[checksumAt..], 0);
        var sum = InternetChecksum.PseudoHeader(ip.Source, ip.Destination, protocol, transport.Length);
        var checksum = InternetChecksum.Finish(InternetChecksum.Add(sum, transport));
        if (checksum == 0 && protocol == IpProtocol.Udp)
        {
            checksum = 0xFFFF;
        }

        BinaryPrimitives.WriteUInt16BigEndian(transport[checksumAt..], checksum);
        return total;
    }

    // CHECKSUM_PARTIAL: the field at start+offset holds the pseudo-header sum; summing from start to
    // the end over it and complementing gives the checksum, as a NIC would.
    private static bool FinishChecksum(VirtioNetHeader header, Span<byte> packet)
    {
        int start = header.ChecksumStart;
        var at = start + header.ChecksumOffset;
        if (at + 2 > packet.Length)
        {
            return false;
        }

        var checksum = InternetChecksum.Finish(InternetChecksum.Add(0, packet[start..]));
        if (checksum == 0 && header.ChecksumOffset == 6)
        {
            // UDP sends a computed zero as all ones; zero means "no checksum".
            checksum = 0xFFFF;
        }

        BinaryPrimitives.WriteUInt16BigEndian(packet[at..], checksum);
        return true;
    }
}
