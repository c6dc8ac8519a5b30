using System.Net;
using System.Security.Cryptography;

namespace MeshPorts.Coordinator.State;

/// <summary>
/// Maps a node's address index to its overlay addresses: 100.64.0.0/10 + index and ULA /48 + index.
/// The ULA prefix is random per coordinator (RFC 4193 section 3.2: fd00::/8 + 40 random bits).
/// </summary>
internal sealed class OverlayAddressing
{
    public const string Ipv4Prefix = "100.64.0.0/10";

    // 100.64.0.0/10 has 2^22 addresses; index 0 is the network address and the last is broadcast-like.
    public const int MaxIndex = (1 << 22) - 2;

    private readonly byte[] _ula;

    public OverlayAddressing(string ulaPrefix)
    {
        var ip = IPAddress.Parse(ulaPrefix.Split('/')[0]);
        _ula = ip.GetAddressBytes();
        Ipv6Prefix = ulaPrefix;
    }

    public string Ipv6Prefix { get; }

    public static string NewUlaPrefix()
    {
        var bytes = new byte[16];
        bytes[0] = 0xfd;
        RandomNumberGenerator.Fill(bytes.AsSpan(1, 5));
        return new IPAddress(bytes) + "/48";
    }

    public static string Ipv4(int index)
    {
        var value = (100u << 24) | (64u << 16) | (uint)index;
        return new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]).ToString();
    }

    public string Ipv6(int index)
    {
        var bytes = (byte[])_ula.Clone();
        bytes[12] = (byte)(index >> 24);
        bytes[13] = (byte)(index >> 16);
        bytes[14] = (byte)(index >> 8);
        bytes[15] = (byte)index;
        return new IPAddress(bytes).ToString();
    }
}
