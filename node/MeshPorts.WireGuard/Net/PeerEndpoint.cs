using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace MeshPorts.WireGuard.Net;

/// <summary>
/// A UDP endpoint as a plain value: 16 address bytes (IPv4 stored v4-mapped), a port and a scope id.
/// Unlike <see cref="IPEndPoint"/> it costs nothing to compare on every authenticated packet, which
/// is what endpoint roaming needs.
/// </summary>
public readonly struct PeerEndpoint : IEquatable<PeerEndpoint>
{
    private readonly AddressBytes _address;

    public PeerEndpoint(ReadOnlySpan<byte> address16, ushort port, uint scopeId = 0)
    {
        if (address16.Length != 16)
        {
            throw new ArgumentException("An endpoint address is 16 bytes (IPv4 is v4-mapped).", nameof(address16));
        }

        address16.CopyTo(_address);
        Port = port;
        ScopeId = scopeId;
        IsSet = true;
    }

    public ushort Port { get; }

    public uint ScopeId { get; }

    /// <summary>False for <c>default</c>: the peer has no known endpoint yet.</summary>
    public bool IsSet { get; }

    public bool IsIPv4
    {
        get
        {
            ReadOnlySpan<byte> a = _address;
            return BinaryPrimitives.ReadUInt64LittleEndian(a) == 0 && BinaryPrimitives.ReadUInt32BigEndian(a[8..]) == 0x0000FFFF;
        }
    }

    [UnscopedRef]
    public ReadOnlySpan<byte> Address16 => _address;

    public static PeerEndpoint FromIPEndPoint(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var address = endpoint.Address.AddressFamily == AddressFamily.InterNetwork
            ? endpoint.Address.MapToIPv6()
            : endpoint.Address;
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        var scope = address.AddressFamily == AddressFamily.InterNetworkV6 && !address.IsIPv4MappedToIPv6 ? (uint)address.ScopeId : 0;
        return new PeerEndpoint(bytes, (ushort)endpoint.Port, scope);
    }

    public IPEndPoint ToIPEndPoint()
    {
        var address = new IPAddress(_address);
        if (IsIPv4)
        {
            address = address.MapToIPv4();
        }
        else if (ScopeId != 0)
        {
            address.ScopeId = ScopeId;
        }

        return new IPEndPoint(address, Port);
    }

    public static bool TryParse(string? text, out PeerEndpoint endpoint)
    {
        endpoint = default;
        if (string.IsNullOrWhiteSpace(text) || !IPEndPoint.TryParse(text, out var ep) || ep.Port == 0)
        {
            return false;
        }

        endpoint = FromIPEndPoint(ep);
        return true;
    }

    public bool Equals(PeerEndpoint other) =>
        IsSet == other.IsSet && Port == other.Port && ScopeId == other.ScopeId &&
        ((ReadOnlySpan<byte>)_address).SequenceEqual(other._address);

    public override bool Equals(object? obj) => obj is PeerEndpoint other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(BinaryPrimitives.ReadUInt64LittleEndian(_address), BinaryPrimitives.ReadUInt64LittleEndian(((ReadOnlySpan<byte>)_address)[8..]), Port);

    public static bool operator ==(PeerEndpoint left, PeerEndpoint right) => left.Equals(right);

    public static bool operator !=(PeerEndpoint left, PeerEndpoint right) => !left.Equals(right);

    /// <summary>"192.0.2.1:51820" or "[2001:db8::1]:51820", as <c>wg</c> prints endpoints.</summary>
    public override string ToString() => IsSet ? ToIPEndPoint().ToString() : "(none)";

    [InlineArray(16)]
    private struct AddressBytes
    {
        private byte _first;
    }
}
