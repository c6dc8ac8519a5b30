using System.Buffers.Binary;
using System.IO.Hashing;
using System.Net;
using System.Net.Sockets;

namespace MeshPorts.Contracts.Stun;

/// <summary>
/// The part of STUN (RFC 5389) a node needs to learn its reflexive address: Binding requests and
/// Binding success responses with XOR-MAPPED-ADDRESS (MAPPED-ADDRESS is read too, for old servers),
/// and FINGERPRINT. Everything is checked against the buffer's length; nothing here throws on bad input.
/// </summary>
public static class StunMessage
{
    public const int HeaderSize = 20;

    public const int TransactionIdSize = 12;

    public const uint MagicCookie = 0x2112A442;

    /// <summary>The largest message written here: a success with an IPv6 XOR-MAPPED-ADDRESS and a FINGERPRINT.</summary>
    public const int MaxWrittenSize = HeaderSize + 4 + 20 + 8;

    private const ushort BindingRequest = 0x0001;
    private const ushort BindingSuccess = 0x0101;
    private const ushort MappedAddress = 0x0001;
    private const ushort XorMappedAddress = 0x0020;
    private const ushort Fingerprint = 0x8028;
    private const uint FingerprintXor = 0x5354554E;

    /// <summary>
    /// True when the datagram looks like STUN: the two top bits zero, a length that is a multiple of 4
    /// and fits, and the magic cookie. A WireGuard message (type 1..4 then three zero bytes) never is.
    /// </summary>
    public static bool IsStun(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= HeaderSize
        && (datagram[0] & 0xC0) == 0
        && BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) == MagicCookie
        && BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]) is var length
        && (length & 3) == 0
        && HeaderSize + length <= datagram.Length;

    /// <summary>Writes a Binding request with a FINGERPRINT; returns its length (28).</summary>
    public static int WriteBindingRequest(Span<byte> destination, ReadOnlySpan<byte> transactionId)
    {
        CheckTransactionId(transactionId);
        WriteHeader(destination, BindingRequest, 0, transactionId);
        return AppendFingerprint(destination, HeaderSize);
    }

    /// <summary>Reads a Binding request's transaction id. A bad FINGERPRINT, if one is present, refuses it.</summary>
    public static bool TryReadBindingRequest(ReadOnlySpan<byte> datagram, Span<byte> transactionId)
    {
        if (!TryReadHeader(datagram, BindingRequest, out var message) || !FingerprintHolds(message))
        {
            return false;
        }

        message.Slice(8, TransactionIdSize).CopyTo(transactionId);
        return true;
    }

    /// <summary>Writes a Binding success naming <paramref name="mapped"/>; returns its length.</summary>
    public static int WriteBindingSuccess(Span<byte> destination, ReadOnlySpan<byte> transactionId, IPEndPoint mapped)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        CheckTransactionId(transactionId);
        var address = mapped.Address.IsIPv4MappedToIPv6 ? mapped.Address.MapToIPv4() : mapped.Address;
        var v4 = address.AddressFamily == AddressFamily.InterNetwork;
        var valueLength = v4 ? 8 : 20;
        WriteHeader(destination, BindingSuccess, (ushort)(4 + valueLength), transactionId);
        var attribute = destination[HeaderSize..];
        BinaryPrimitives.WriteUInt16BigEndian(attribute, XorMappedAddress);
        BinaryPrimitives.WriteUInt16BigEndian(attribute[2..], (ushort)valueLength);
        attribute[4] = 0;
        attribute[5] = v4 ? (byte)1 : (byte)2;
        BinaryPrimitives.WriteUInt16BigEndian(attribute[6..], (ushort)(mapped.Port ^ (MagicCookie >> 16)));
        var bytes = attribute.Slice(8, v4 ? 4 : 16);
        address.TryWriteBytes(bytes, out _);
        XorAddress(bytes, destination.Slice(4, 16));
        return AppendFingerprint(destination, HeaderSize + 4 + valueLength);
    }

    /// <summary>
    /// Reads a Binding success: its transaction id and the mapped address (XOR-MAPPED-ADDRESS, else
    /// MAPPED-ADDRESS). False for anything else, a bad FINGERPRINT, or no usable address.
    /// </summary>
    public static bool TryReadBindingSuccess(ReadOnlySpan<byte> datagram, Span<byte> transactionId, out IPEndPoint mapped)
    {
        mapped = null!;
        if (!TryReadHeader(datagram, BindingSuccess, out var message) || !FingerprintHolds(message))
        {
            return false;
        }

        IPEndPoint? plain = null;
        IPEndPoint? xored = null;
        var at = HeaderSize;
        while (at + 4 <= message.Length)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(message[at..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 2)..]);
            if (at + 4 + length > message.Length)
            {
                return false;
            }

            var value = message.Slice(at + 4, length);
            if (type == XorMappedAddress)
            {
                xored ??= ReadAddress(value, message.Slice(4, 16));
            }
            else if (type == MappedAddress)
            {
                plain ??= ReadAddress(value, default);
            }

            at += 4 + ((length + 3) & ~3);
        }

        if ((xored ?? plain) is not { } found)
        {
            return false;
        }

        message.Slice(8, TransactionIdSize).CopyTo(transactionId);
        mapped = found;
        return true;
    }

    private static bool TryReadHeader(ReadOnlySpan<byte> datagram, ushort type, out ReadOnlySpan<byte> message)
    {
        message = default;
        if (!IsStun(datagram) || BinaryPrimitives.ReadUInt16BigEndian(datagram) != type)
        {
            return false;
        }

        message = datagram[..(HeaderSize + BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]))];
        return true;
    }

    // FINGERPRINT is optional; if present it must be the last attribute and must hold.
    private static bool FingerprintHolds(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderSize + 8)
        {
            return true;
        }

        var last = message[^8..];
        if (BinaryPrimitives.ReadUInt16BigEndian(last) != Fingerprint || BinaryPrimitives.ReadUInt16BigEndian(last[2..]) != 4)
        {
            return true;
        }

        return BinaryPrimitives.ReadUInt32BigEndian(last[4..]) == (Crc32.HashToUInt32(message[..^8]) ^ FingerprintXor);
    }

    private static IPEndPoint? ReadAddress(ReadOnlySpan<byte> value, ReadOnlySpan<byte> xor)
    {
        if (value.Length < 8 || value[1] is not (1 or 2))
        {
            return null;
        }

        var v4 = value[1] == 1;
        var size = v4 ? 4 : 16;
        if (value.Length < 4 + size)
        {
            return null;
        }

        var port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
        Span<byte> bytes = stackalloc byte[size];
        value.Slice(4, size).CopyTo(bytes);
        if (!xor.IsEmpty)
        {
            port ^= (ushort)(MagicCookie >> 16);
            XorAddress(bytes, xor);
        }

        return port == 0 ? null : new IPEndPoint(new IPAddress(bytes), port);
    }

    // XOR with the magic cookie, then (IPv6) the transaction id: the 16 bytes from offset 4 of the header.
    private static void XorAddress(Span<byte> address, ReadOnlySpan<byte> cookieAndTransaction)
    {
        for (var i = 0; i < address.Length; i++)
        {
            address[i] ^= cookieAndTransaction[i];
        }
    }

    private static void WriteHeader(Span<byte> destination, ushort type, ushort length, ReadOnlySpan<byte> transactionId)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], MagicCookie);
        transactionId.CopyTo(destination[8..]);
    }

    private static int AppendFingerprint(Span<byte> destination, int length)
    {
        var total = length + 8;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)(total - HeaderSize));
        BinaryPrimitives.WriteUInt16BigEndian(destination[length..], Fingerprint);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(length + 2)..], 4);
        BinaryPrimitives.WriteUInt32BigEndian(destination[(length + 4)..], Crc32.HashToUInt32(destination[..length]) ^ FingerprintXor);
        return total;
    }

    private static void CheckTransactionId(ReadOnlySpan<byte> transactionId)
    {
        if (transactionId.Length != TransactionIdSize)
        {
            throw new ArgumentException("A STUN transaction id is 12 bytes.", nameof(transactionId));
        }
    }
}
