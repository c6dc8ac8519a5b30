using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace MeshPorts.Native.Linux;

/// <summary>
/// A UDP source or destination as a blittable value: 16 address bytes (IPv4 stored v4-mapped, as a
/// dual-stack socket reports it), a port and an IPv6 scope id. Batches of these are filled and read
/// without allocating, unlike <see cref="IPEndPoint"/>.
/// </summary>
public readonly struct UdpAddress : IEquatable<UdpAddress>
{
    private readonly AddressBuffer _address;

    /// <summary>From raw parts: <paramref name="address16"/> is an IPv6 or v4-mapped address.</summary>
    public UdpAddress(ReadOnlySpan<byte> address16, ushort port, uint scopeId = 0)
    {
        if (address16.Length != 16)
        {
            throw new ArgumentException($"A UDP address is 16 bytes (IPv4 v4-mapped), not {address16.Length}.", nameof(address16));
        }

        address16.CopyTo(_address);
        Port = port;
        ScopeId = scopeId;
    }

    public ushort Port { get; }

    public uint ScopeId { get; }

    /// <summary>The 16 address bytes, network order; IPv4 as ::ffff:a.b.c.d.</summary>
    [UnscopedRef]
    public ReadOnlySpan<byte> Address16 => _address;

    /// <summary>True when the address is v4-mapped (::ffff:0:0/96).</summary>
    public bool IsIPv4
    {
        get
        {
            ReadOnlySpan<byte> a = _address;
            return BinaryPrimitives.ReadUInt64LittleEndian(a) == 0 && BinaryPrimitives.ReadUInt32BigEndian(a[8..]) == 0x0000FFFF;
        }
    }

    public void CopyAddressTo(Span<byte> destination) => ((ReadOnlySpan<byte>)_address).CopyTo(destination);

    public static UdpAddress FromIPEndPoint(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var address = endpoint.Address;
        uint scope = 0;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address = address.MapToIPv6();
        }
        else if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            scope = (uint)address.ScopeId;
        }
        else
        {
            throw new ArgumentException($"{address.AddressFamily} is not an IP address family.", nameof(endpoint));
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return new UdpAddress(bytes, (ushort)endpoint.Port, scope);
    }

    /// <summary>An IPv4 endpoint for v4-mapped addresses, otherwise IPv6 with the scope id.</summary>
    public IPEndPoint ToIPEndPoint()
    {
        ReadOnlySpan<byte> bytes = _address;
        var address = IsIPv4 ? new IPAddress(bytes[12..]) : new IPAddress(bytes, ScopeId);
        return new IPEndPoint(address, Port);
    }

    public bool Equals(UdpAddress other) =>
        Port == other.Port && ScopeId == other.ScopeId && ((ReadOnlySpan<byte>)_address).SequenceEqual(other._address);

    public override bool Equals(object? obj) => obj is UdpAddress other && Equals(other);

    public override int GetHashCode()
    {
        ReadOnlySpan<byte> a = _address;
        return HashCode.Combine(BinaryPrimitives.ReadUInt64LittleEndian(a), BinaryPrimitives.ReadUInt64LittleEndian(a[8..]), Port, ScopeId);
    }

    public static bool operator ==(UdpAddress left, UdpAddress right) => left.Equals(right);

    public static bool operator !=(UdpAddress left, UdpAddress right) => !left.Equals(right);

    /// <summary>"192.0.2.1:51820" or "[2001:db8::1]:51820".</summary>
    public override string ToString() => ToIPEndPoint().ToString();

    [InlineArray(16)]
    private struct AddressBuffer
    {
        private byte _first;
    }
}
