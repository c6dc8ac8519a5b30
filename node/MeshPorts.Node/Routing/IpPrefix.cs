using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MeshPorts.Node.Routing;

/// <summary>
/// An IPv4 or IPv6 network prefix ("10.0.0.0/24", "fd00::/64") with the host bits cleared, so two
/// prefixes naming the same network are equal however they were written (as the kernel and
/// wireguard-go mask allowed IPs on insert).
/// </summary>
/// <remarks>
/// The address is kept left-aligned in a <see cref="UInt128"/>: an IPv4 address occupies the top 32
/// bits. That lets the routing trie treat both families with the same bit arithmetic.
/// </remarks>
internal readonly struct IpPrefix : IEquatable<IpPrefix>
{
    private IpPrefix(UInt128 bits, int length, bool isIPv4)
    {
        Bits = bits & Mask(length);
        Length = length;
        IsIPv4 = isIPv4;
    }

    /// <summary>The prefix length in bits: 0..32 for IPv4, 0..128 for IPv6.</summary>
    public int Length { get; }

    public bool IsIPv4 { get; }

    /// <summary>32 for IPv4, 128 for IPv6.</summary>
    public int MaxLength => IsIPv4 ? 32 : 128;

    /// <summary>The masked address, left-aligned (IPv4 in the top 32 bits).</summary>
    internal UInt128 Bits { get; }

    /// <summary>Builds a prefix from 4 or 16 address bytes; host bits are cleared.</summary>
    public static IpPrefix Create(ReadOnlySpan<byte> address, int length)
    {
        if (address.Length == 4)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(length);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 32);
            return new IpPrefix((UInt128)BinaryPrimitives.ReadUInt32BigEndian(address) << 96, length, isIPv4: true);
        }

        if (address.Length == 16)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(length);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 128);
            return new IpPrefix(BinaryPrimitives.ReadUInt128BigEndian(address), length, isIPv4: false);
        }

        throw new ArgumentException("An IP address is 4 or 16 bytes.", nameof(address));
    }

    public static IpPrefix Create(IPAddress address, int length)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return Create(bytes[..written], length);
    }

    /// <summary>The network address (host bits zero).</summary>
    public IPAddress Address
    {
        get
        {
            Span<byte> bytes = stackalloc byte[16];
            WriteAddressBytes(bytes);
            return new IPAddress(IsIPv4 ? bytes[..4] : bytes);
        }
    }

    /// <summary>Writes 4 (IPv4) or 16 (IPv6) network-order bytes; returns how many.</summary>
    public int WriteAddressBytes(Span<byte> destination)
    {
        if (IsIPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(Bits >> 96));
            return 4;
        }

        BinaryPrimitives.WriteUInt128BigEndian(destination, Bits);
        return 16;
    }

    /// <summary>True if <paramref name="address"/> (4 or 16 bytes, same family) lies in this prefix.</summary>
    public bool Contains(ReadOnlySpan<byte> address)
    {
        if (address.Length != (IsIPv4 ? 4 : 16))
        {
            return false;
        }

        var bits = IsIPv4 ? (UInt128)BinaryPrimitives.ReadUInt32BigEndian(address) << 96 : BinaryPrimitives.ReadUInt128BigEndian(address);
        return ((bits ^ Bits) & Mask(Length)) == UInt128.Zero;
    }

    public static IpPrefix Parse(string text) =>
        TryParse(text, out var prefix) ? prefix : throw new FormatException($"'{text}' is not an IP prefix like 10.0.0.0/24 or fd00::/64.");

    /// <summary>
    /// Parses "ADDRESS/LENGTH" strictly, like Go's netip.ParsePrefix that wireguard-go uses: dotted-quad
    /// IPv4 only (no "10.1" or hex shorthand), no zone, a decimal length without sign or leading zero.
    /// Host bits may be set and are cleared.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out IpPrefix prefix)
    {
        prefix = default;
        var slash = text.LastIndexOf('/');
        if (slash <= 0 || !TryParseLength(text[(slash + 1)..], out var length))
        {
            return false;
        }

        var addressText = text[..slash];
        Span<byte> bytes = stackalloc byte[16];
        if (addressText.Contains(':'))
        {
            if (addressText.Contains('%') || length > 128 || !IPAddress.TryParse(addressText, out var v6) ||
                v6.AddressFamily != AddressFamily.InterNetworkV6 || !v6.TryWriteBytes(bytes, out _))
            {
                return false;
            }

            prefix = Create(bytes, length);
            return true;
        }

        if (length > 32 || !TryParseDottedQuad(addressText, bytes[..4]))
        {
            return false;
        }

        prefix = Create(bytes[..4], length);
        return true;
    }

    /// <summary>Strict a.b.c.d: four decimal octets 0..255, no leading zeros (which some parsers read as octal).</summary>
    internal static bool TryParseDottedQuad(ReadOnlySpan<char> text, Span<byte> destination)
    {
        var part = 0;
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && text[i] != '.')
            {
                continue;
            }

            var octet = text[start..i];
            if (part > 3 || octet.Length is 0 or > 3 || (octet.Length > 1 && octet[0] == '0'))
            {
                return false;
            }

            var value = 0;
            foreach (var c in octet)
            {
                if (c is < '0' or > '9')
                {
                    return false;
                }

                value = (value * 10) + (c - '0');
            }

            if (value > 255)
            {
                return false;
            }

            destination[part++] = (byte)value;
            start = i + 1;
        }

        return part == 4;
    }

    private static bool TryParseLength(ReadOnlySpan<char> text, out int length)
    {
        length = 0;
        if (text.Length is 0 or > 3 || (text.Length > 1 && text[0] == '0'))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            length = (length * 10) + (c - '0');
        }

        return true;
    }

    /// <summary>A mask with the top <paramref name="length"/> bits set.</summary>
    internal static UInt128 Mask(int length) => length == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - length);

    /// <summary>"10.0.0.0/24" or "fd00::/64", the form wg prints and the UAPI carries.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Address}/{Length}");

    public bool Equals(IpPrefix other) => Bits == other.Bits && Length == other.Length && IsIPv4 == other.IsIPv4;

    public override bool Equals([NotNullWhen(true)] object? obj) => obj is IpPrefix other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Bits, Length, IsIPv4);

    public static bool operator ==(IpPrefix left, IpPrefix right) => left.Equals(right);

    public static bool operator !=(IpPrefix left, IpPrefix right) => !left.Equals(right);
}
