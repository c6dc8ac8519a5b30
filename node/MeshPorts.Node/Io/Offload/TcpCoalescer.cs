using System.Buffers.Binary;
using System.Diagnostics;
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

            var g = FindFlow(buffer, slotSize, lengths, packet);
            if (kind == Kind.TcpOther)
            {
                if (g >= 0)
                {
                    accepted += Flush(g, buffer, slotSize, lengths, sink);
                }

                accepted += sink.Write(PlainHeader, packet) ? 1 : 0;
                continue;
            }

            var appendable = g >= 0 && CanAppend(ref _groups[g], Member(buffer, slotSize, lengths, g), packet, segment);
            if (appendable && !ChecksumValid(packet))
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
                appendable = ChecksumValid(buffer.Slice(first * slotSize, lengths[first]));
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
        if (!IpHeader.TryRead(packet, out var ip) || ip.Protocol != IpProtocol.Tcp || !ip.HasCompleteHeader
            || !TcpHeader.TryRead(packet[ip.HeaderLength..], out var tcp))
        {
            return Kind.NotTcp;
        }

        segment.IpHeaderLength = ip.HeaderLength;
        segment.HeaderLength = ip.HeaderLength + tcp.HeaderLength;
        segment.Payload = tcp.PayloadLength;
        segment.Flags = tcp.Flags;
        segment.Sequence = tcp.Sequence;

        // IPv4 without options and not a fragment; IPv6 without extension headers (its next header is TCP).
        var plainIp = ip.IsIPv6 || (ip.HeaderLength == IpHeader.IPv4HeaderMin && !ip.IsFragment);
        const byte Mergeable = IpProtocol.TcpAck | IpProtocol.TcpPsh;
        if (!plainIp || segment.Payload == 0 || (segment.Flags & ~Mergeable) != 0 || (segment.Flags & IpProtocol.TcpAck) == 0)
        {
            return Kind.TcpOther;
        }

        return Kind.Candidate;
    }

    private static bool ChecksumValid(ReadOnlySpan<byte> packet)
    {
        if (!IpHeader.TryRead(packet, out var ip))
        {
            return false;
        }

        var transport = packet[ip.HeaderLength..];
        var sum = InternetChecksum.PseudoHeader(ip.Source, ip.Destination, IpProtocol.Tcp, transport.Length);
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

        // Both were classified as candidates, so both headers read.
        if (!IpHeader.TryRead(first, out var a) || !IpHeader.TryRead(packet, out var b)
            || !TcpHeader.TryRead(first[group.IpHeaderLength..], out var firstTcp) || !TcpHeader.TryRead(packet[group.IpHeaderLength..], out var tcp))
        {
            return false;
        }

        // IPv6: traffic class, flow label, hop limit. IPv4: TOS, DF (neither is a fragment), TTL.
        var sameIp = a.TrafficClass == b.TrafficClass && a.HopLimit == b.HopLimit
            && (a.IsIPv6 ? a.FlowLabel == b.FlowLabel : a.FlagsAndFragmentOffset == b.FlagsAndFragmentOffset);
        return sameIp && firstTcp.Acknowledgment == tcp.Acknowledgment && firstTcp.Options.SequenceEqual(tcp.Options);
    }

    // The first packet of group g.
    private ReadOnlySpan<byte> Member(ReadOnlySpan<byte> buffer, int slotSize, ReadOnlySpan<int> lengths, int g)
    {
        var index = _members[g * MaxSegments];
        return buffer.Slice(index * slotSize, lengths[index]);
    }

    // The active group holding the flow (addresses and ports) of this packet, or -1.
    private int FindFlow(ReadOnlySpan<byte> buffer, int slotSize, ReadOnlySpan<int> lengths, ReadOnlySpan<byte> packet)
    {
        if (!IpHeader.TryRead(packet, out var ip))
        {
            return -1;
        }

        var ports = packet.Slice(ip.HeaderLength, TransportPorts.Size);
        for (var g = 0; g < MaxFlows; g++)
        {
            if ((_active & (1 << g)) == 0)
            {
                continue;
            }

            var first = Member(buffer, slotSize, lengths, g);
            if (!IpHeader.TryRead(first, out var theirs) || theirs.IsIPv6 != ip.IsIPv6)
            {
                continue;
            }

            if (theirs.Addresses.SequenceEqual(ip.Addresses) && first.Slice(_groups[g].IpHeaderLength, TransportPorts.Size).SequenceEqual(ports))
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
        if (ip == IpHeader.IPv6HeaderSize)
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
        var readable = IpHeader.TryRead(packet, out var header);
        Debug.Assert(readable, "a merged packet starts with its first segment's header");
        var pseudo = InternetChecksum.PseudoHeader(header.Source, header.Destination, IpProtocol.Tcp, length - ip);
        BinaryPrimitives.WriteUInt16BigEndian(packet[(ip + 16)..], (ushort)pseudo);
        new VirtioNetHeader
        {
            Flags = VirtioNetHeader.FlagNeedsChecksum,
            GsoType = ip == IpHeader.IPv6HeaderSize ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4,
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
