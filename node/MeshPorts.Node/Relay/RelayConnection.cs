using System.Threading.Channels;
using MeshPorts.Contracts.Relay;

namespace MeshPorts.Node.Relay;

/// <summary>One welcomed TLS stream to a relay: its outbound queue, its UDP session (null when the relay has no UDP) and how long it took to set up.</summary>
internal sealed class RelayConnection(Channel<ClientFrame> outbound, RelayUdpSession? udp, TimeSpan connectTime)
{
    public ChannelWriter<ClientFrame> Outbound => outbound.Writer;

    public RelayUdpSession? Udp => udp;

    /// <summary>Challenge to Welcome: the round trip used for this relay while its UDP is down.</summary>
    public TimeSpan ConnectTime => connectTime;
}
