using System.Net;
using MeshPorts.Node.Filter;
using MeshPorts.WireGuard.Keys;
using Microsoft.Extensions.Time.Testing;

namespace MeshPorts.Node.Tests.Filter;

/// <summary>A filter on a fake clock plus the reset buffers a device would pass, and a few named peers.</summary>
internal sealed class FilterHarness
{
    public const string Local4 = "100.64.0.1";
    public const string Remote4 = "100.64.0.2";
    public const string Other4 = "100.64.0.3";
    public const string Local6 = "fd7a:115c:a1e0::1";
    public const string Remote6 = "fd7a:115c:a1e0::2";

    public static readonly DateTimeOffset Start = new(2026, 11, 29, 6, 0, 0, TimeSpan.Zero);

    public FilterHarness(FilterOptions? options = null)
    {
        Filter = new PacketFilter(Time, [IPAddress.Parse(Local4), IPAddress.Parse(Local6)], options);
    }

    public static WgKey Laptop { get; } = Key(1);

    public static WgKey Ci { get; } = Key(2);

    public FakeTimeProvider Time { get; } = new(Start);

    public PacketFilter Filter { get; }

    public byte[] TunReset { get; } = new byte[PacketFilter.ResetBufferSize];

    public byte[] PeerReset { get; } = new byte[PacketFilter.ResetBufferSize];

    public FilterVerdict Last { get; private set; }

    public static WgKey Key(byte id)
    {
        var bytes = new byte[WgKey.Size];
        bytes[0] = id;
        bytes[31] = (byte)(id * 7);
        return WgKey.FromBytes(bytes);
    }

    public static FilterRule Grant(string id, WgKey peer, ushort port, DateTimeOffset notAfter, FilterProtocol protocol = FilterProtocol.Tcp) =>
        new(id, FilterRuleKind.Grant, peer, protocol, port, notAfter);

    public static FilterRule Rule(string id, WgKey peer, ushort port, FilterProtocol protocol = FilterProtocol.Tcp) =>
        new(id, FilterRuleKind.Rule, peer, protocol, port);

    public FilterVerdict In(WgKey peer, byte[] packet) => Last = Filter.Inbound(peer, packet, TunReset, PeerReset);

    public FilterVerdict Out(WgKey peer, byte[] packet) => Last = Filter.Outbound(peer, packet, TunReset, PeerReset);

    public TcpSegment TunResetSegment() => TcpSegment.Parse(TunReset.AsSpan(0, Last.TunResetLength));

    public TcpSegment PeerResetSegment() => TcpSegment.Parse(PeerReset.AsSpan(0, Last.PeerResetLength));
}
