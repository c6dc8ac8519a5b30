using System.Buffers.Binary;
using MeshPorts.Native.Linux;
using MeshPorts.Node.Packets;

namespace MeshPorts.Node.Io.Offload;

/// <summary>
/// GRO for a TUN with offloads: in one batch of decrypted packets, consecutive TCP segments of one flow
/// are merged into a super-packet (up to 64 KiB, 64 segments) that the kernel takes in one write and
/// one pass through its TCP stack. Segments merge only as Linux's own GRO would merge them: same flow,
/// in sequence, same ACK, options, TTL/hop limit and TOS, ACK or ACK|PSH only, every segment but the
/// last of equal size, a PSH ends the run. Each segment's checksum is checked before it is merged (the
/// merged packet goes to the kernel as checksum-partial, so a bad segment would otherwise slip by),
/// and only then: a segment written alone is checked by the kernel;
/// anything else, and a segment with nothing to merge with, is written as it came with an all-zero
/// header. Packets of one flow keep their order. Used by one thread.
/// </summary>
internal sealed class TcpCoalescer
{
    public const int MaxFlows = 8;
    public const int MaxSegments = 64;
    private const int MaxMergedLength = 65535;

    private static readonly byte[] PlainHeader = new byte[VirtioNetHeader.Size];

    private readonly byte[] _merged = new byte[VirtioNetHeader.Size + MaxMergedLength];
    private readonly Group[] _groups = new Group[MaxFlows];
    private readonly int[] _members = new int[MaxFlows * MaxSegments];
    private int _active;
    private long _merges;
    private long _mergedSegments;

    private enum Kind
    {
        NotTcp,
        TcpOther,
        Candidate,
    }

    /// <summary>Super-packets written so far.</summary>
    public long Merges => _merges;

    /// <summary>Segments that went out inside a super-packet.</summary>
    public long MergedSegments => _mergedSegments;

    /// <summary>
    /// Writes the packets (packet i at <c>buffer[(i * slotSize)..]</c>, <c>lengths[i]</c> bytes; 0 means
    /// none) to <paramref name="sink"/>, merging where it can. Headers in the slots may be rewritten.
    /// Returns how many of the packets the kernel accepted.
    /// </summary>
    public int WriteBatch(Span<byte> buffer, int slotSize, ReadOnlySpan<int> lengths, IVnetPacketSink sink)
    {
        var accepted = 0;
        for (var i = 0; i < lengths.Length; i++)
        {
            if (lengths[i] == 0)
            {
                continue;
            }

            var packet = buffer.Slice(i * slotSize, lengths[i]);
            var kind = Classify(packet, out var segment);
            if (kind == Kind.NotTcp)
            {
                accepted += sink.Write(PlainHeader, packet) ? 1 : 0;
                continue;
            }

            var g = FindFlow(buffer, slotSize, lengths, packet, segment.IpHeaderLength);
            if (kind == Kind.TcpOther)
            {
                if (g >= 0)
                {
                    accepted += Flush(g, buffer, slotSize, lengths, sink);
                }

                accepted += sink.Write(PlainHeader, packet) ? 1 : 0;
                continue;
            }

            var appendable = g >= 0 && CanAppend(ref _groups[g], buffer.Slice(_members[g * MaxSegments] * slotSize), packet, segment);
            if (appendable && !ChecksumValid(packet, segment.IpHeaderLength))
            {
                // It would be merged unchecked: write it alone, as it came, after its flow's run.
                accepted += Flush(g, buffer, slotSize, lengths, sink);
                accepted += sink.Write(PlainHeader, packet) ? 1 : 0;
                continue;
            }

            // A run's first segment is checked only once a second one joins it: written alone, the
            // kernel checks it anyway. A bad first segment goes alone and this one starts the run.
            var verified = appendable;
            if (appendable && !_groups[g].FirstVerified)
            {
                var first = _members[g * MaxSegments];
                appendable = ChecksumValid(buffer.Slice(first * slotSize, lengths[first]), segment.IpHeaderLength);
                _groups[g].FirstVerified = appendable;
            }

            if (appendable)
            {
                ref var group = ref _groups[g];
                _members[(g * MaxSegments) + group.Count++] = i;
                group.NextSequence = unchecked(segment.Sequence + (uint)segment.Payload);
                group.LastPayload = segment.Payload;
                group.TotalLength += segment.Payload;
                group.LastFlags = segment.Flags;
            }
            else
            {
                if (g >= 0)
                {
                    accepted += Flush(g, buffer, slotSize, lengths, sink);
                }
                else if (_active == (1 << MaxFlows) - 1)
                {
                    accepted += FlushAll(buffer, slotSize, lengths, sink);
                }

                g = g >= 0 ? g : FreeGroup();
                _groups[g] = new Group
                {
                    Count = 1,
                    IpHeaderLength = segment.IpHeaderLength,
                    HeaderLength = segment.HeaderLength,
                    SegmentSize = segment.Payload,
                    LastPayload = segment.Payload,
                    TotalLength = packet.Length,
                    NextSequence = unchecked(segment.Sequence + (uint)segment.Payload),
                    LastFlags = segment.Flags,
                    FirstVerified = verified,
                };
                _members[g * MaxSegments] = i;
                _active |= 1 << g;
            }

            // Linux's GRO ends a run at PSH: the receiver is to see the data now.
            if ((segment.Flags & IpProtocol.TcpPsh) != 0)
            {
                accepted += Flush(g, buffer, slotSize, lengths, sink);
            }
        }

        return accepted + FlushAll(buffer, slotSize, lengths, sink);
    }

    private static Kind Classify(ReadOnlySpan<byte> packet, out Segment segment)
    {
        segment = default;
        var version = IpPacket.Version(packet);
        int ipHeader;
        bool plainIp;
        if (version == 4 && packet.Length >= IpPacket.IPv4HeaderMin && packet[9] == IpProtocol.Tcp)
        {
            ipHeader = (packet[0] & 0x0F) * 4;
            // No options, not a fragment.
            plainIp = ipHeader == IpPacket.IPv4HeaderMin && (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) == 0;
        }
        else if (version == 6 && packet.Length >= IpPacket.IPv6HeaderSize && packet[6] == IpProtocol.Tcp)
        {
            ipHeader = IpPacket.IPv6HeaderSize;
            plainIp = true;
        }
        else
        {
            return Kind.NotTcp;
        }

        if (ipHeader < IpPacket.IPv4HeaderMin || ipHeader + 20 > packet.Length)
        {
            return Kind.NotTcp;
        }

        var tcpHeader = (packet[ipHeader + 12] >> 4) * 4;
        if (tcpHeader < 20 || ipHeader + tcpHeader > packet.Length)
        {
            return Kind.NotTcp;
        }

        segment.IpHeaderLength = ipHeader;
        segment.HeaderLength = ipHeader + tcpHeader;
        segment.Payload = packet.Length - segment.HeaderLength;
        segment.Flags = packet[ipHeader + 13];
        segment.Sequence = BinaryPrimitives.ReadUInt32BigEndian(packet[(ipHeader + 4)..]);
        const byte Mergeable = IpProtocol.TcpAck | IpProtocol.TcpPsh;
        if (!plainIp || segment.Payload == 0 || (segment.Flags & ~Mergeable) != 0 || (segment.Flags & IpProtocol.TcpAck) == 0)
        {
            return Kind.TcpOther;
        }

        return Kind.Candidate;
    }

    private static bool ChecksumValid(ReadOnlySpan<byte> packet, int ipHeader)
    {
        var transport = packet[ipHeader..];
        var sum = InternetChecksum.PseudoHeader(IpPacket.Source(packet), IpPacket.Destination(packet), IpProtocol.Tcp, transport.Length);
        return InternetChecksum.Finish(InternetChecksum.Add(sum, transport)) == 0;
    }

    private static bool CanAppend(ref Group group, ReadOnlySpan<byte> first, ReadOnlySpan<byte> packet, in Segment segment)
    {
        if (group.Count >= MaxSegments || group.LastPayload != group.SegmentSize || segment.Payload > group.SegmentSize
            || segment.Sequence != group.NextSequence || group.TotalLength + segment.Payload > MaxMergedLength
            || segment.HeaderLength != group.HeaderLength || segment.IpHeaderLength != group.IpHeaderLength)
        {
            return false;
        }

        var ip = group.IpHeaderLength;
        bool sameIp = ip == IpPacket.IPv6HeaderSize
            ? first[..4].SequenceEqual(packet[..4]) && first[7] == packet[7] // version, class, flow label; hop limit
            : first[1] == packet[1] && first[6] == packet[6] && first[8] == packet[8]; // TOS, DF, TTL
        return sameIp
            && first.Slice(ip + 8, 4).SequenceEqual(packet.Slice(ip + 8, 4)) // acknowledgment number
            && first[(ip + 20)..group.HeaderLength].SequenceEqual(packet[(ip + 20)..group.HeaderLength]); // options
    }

    // The active group holding the flow (addresses and ports) of this packet, or -1.
    private int FindFlow(ReadOnlySpan<byte> buffer, int slotSize, ReadOnlySpan<int> lengths, ReadOnlySpan<byte> packet, int ipHeader)
    {
        for (var g = 0; g < MaxFlows; g++)
        {
            if ((_active & (1 << g)) == 0)
            {
                continue;
            }

            var index = _members[g * MaxSegments];
            var first = buffer.Slice(index * slotSize, lengths[index]);
            var firstIp = _groups[g].IpHeaderLength;
            if (first[0] >> 4 != packet[0] >> 4)
            {
                continue;
            }

            var addresses = firstIp == IpPacket.IPv6HeaderSize ? first[8..40] : first[12..20];
            var theirs = packet[0] >> 4 == 6 ? packet[8..40] : packet[12..20];
            if (addresses.SequenceEqual(theirs) && first.Slice(firstIp, 4).SequenceEqual(packet.Slice(ipHeader, 4)))
            {
                return g;
            }
        }

        return -1;
    }

    private int FreeGroup()
    {
        for (var g = 0; g < MaxFlows; g++)
        {
            if ((_active & (1 << g)) == 0)
            {
                return g;
            }
        }

        throw new InvalidOperationException("no free coalescing group");
    }

    private int FlushAll(Span<byte> buffer, int slotSize, ReadOnlySpan<int> lengths, IVnetPacketSink sink)
    {
        var accepted = 0;
        for (var g = 0; g < MaxFlows; g++)
        {
            if ((_active & (1 << g)) != 0)
            {
                accepted += Flush(g, buffer, slotSize, lengths, sink);
            }
        }

        return accepted;
    }

    private int Flush(int g, Span<byte> buffer, int slotSize, ReadOnlySpan<int> lengths, IVnetPacketSink sink)
    {
        _active &= ~(1 << g);
        ref var group = ref _groups[g];
        var members = _members.AsSpan(g * MaxSegments, group.Count);
        var first = buffer.Slice(members[0] * slotSize, lengths[members[0]]);
        if (group.Count == 1)
        {
            // Plain: the TUN's write path ignores VIRTIO_NET_HDR_F_DATA_VALID, so the kernel checks it again.
            return sink.Write(PlainHeader, first) ? 1 : 0;
        }

        var merged = _merged.AsSpan(VirtioNetHeader.Size);
        first.CopyTo(merged);
        var length = first.Length;
        for (var k = 1; k < members.Length; k++)
        {
            var payload = buffer.Slice((members[k] * slotSize) + group.HeaderLength, lengths[members[k]] - group.HeaderLength);
            payload.CopyTo(merged[length..]);
            length += payload.Length;
        }

        var packet = merged[..length];
        var ip = group.IpHeaderLength;
        if (ip == IpPacket.IPv6HeaderSize)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)(length - ip));
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)length);
            BinaryPrimitives.WriteUInt16BigEndian(packet[10..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(packet[10..], InternetChecksum.Finish(InternetChecksum.Add(0, packet[..ip])));
        }

        packet[ip + 13] |= (byte)(group.LastFlags & IpProtocol.TcpPsh);

        // Checksum-partial, as a NIC with GRO hands it up: the field holds the pseudo-header sum and
        // the kernel counts the payload as verified (it was, segment by segment).
        var pseudo = InternetChecksum.PseudoHeader(IpPacket.Source(packet), IpPacket.Destination(packet), IpProtocol.Tcp, length - ip);
        BinaryPrimitives.WriteUInt16BigEndian(packet[(ip + 16)..], (ushort)pseudo);
        new VirtioNetHeader
        {
            Flags = VirtioNetHeader.FlagNeedsChecksum,
            GsoType = ip == IpPacket.IPv6HeaderSize ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4,
            HeaderLength = (ushort)group.HeaderLength,
            GsoSize = (ushort)group.SegmentSize,
            ChecksumStart = (ushort)ip,
            ChecksumOffset = 16,
        }.Write(_merged);
        if (!sink.Write(_merged.AsSpan(0, VirtioNetHeader.Size), packet))
        {
            return 0;
        }

        _merges++;
        _mergedSegments += group.Count;
        return group.Count;
    }

    private struct Segment
    {
        public int IpHeaderLength;
        public int HeaderLength;
        public int Payload;
        public uint Sequence;
        public byte Flags;
    }

    private struct Group
    {
        public int Count;
        public int IpHeaderLength;
        public int HeaderLength;
        public int SegmentSize;
        public int LastPayload;
        public int TotalLength;
        public uint NextSequence;
        public byte LastFlags;

        /// <summary>The first segment's checksum was checked (done when a second segment joins).</summary>
        public bool FirstVerified;
    }
}
