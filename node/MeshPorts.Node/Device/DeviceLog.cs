using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Device;

internal static partial class DeviceLog
{
    [LoggerMessage(1, LogLevel.Information, "Interface {Name} is up (MTU {Mtu}), UDP port {Port}; offloads: TUN {TunOffloads}, UDP {UdpOffloads}")]
    public static partial void Started(ILogger logger, string name, int mtu, ushort port, string tunOffloads, string udpOffloads);

    [LoggerMessage(2, LogLevel.Information, "Interface {Name} is down")]
    public static partial void Stopped(ILogger logger, string name);

    [LoggerMessage(3, LogLevel.Information, "UDP socket rebound to port {Port}")]
    public static partial void Rebound(ILogger logger, ushort port);

    [LoggerMessage(4, LogLevel.Debug, "UDP send to {Endpoint} failed")]
    public static partial void SendFailed(ILogger logger, string endpoint);

    [LoggerMessage(5, LogLevel.Error, "The {Loop} loop stopped on an unexpected error")]
    public static partial void LoopFailed(ILogger logger, string loop, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "Under load: demanding cookies from handshake initiators")]
    public static partial void UnderLoad(ILogger logger);

    [LoggerMessage(7, LogLevel.Debug, "Peer {Peer} added")]
    public static partial void PeerAdded(ILogger logger, string peer);

    [LoggerMessage(8, LogLevel.Debug, "Peer {Peer} removed")]
    public static partial void PeerRemoved(ILogger logger, string peer);

    [LoggerMessage(9, LogLevel.Information, "Interface {Name} went away ({Reason}); shutting down")]
    public static partial void TunGone(ILogger logger, string name, string reason);

    [LoggerMessage(10, LogLevel.Information, "Peer {Name} joined ({Peer})")]
    public static partial void MeshPeerAdded(ILogger logger, string name, string peer);

    [LoggerMessage(11, LogLevel.Information, "Peer {Name} now uses key {Peer}; open sessions kept")]
    public static partial void MeshPeerRekeyed(ILogger logger, string name, string peer);

    [LoggerMessage(12, LogLevel.Information, "Peer {Name} removed ({Why}); {Flows} open flows cut")]
    public static partial void MeshPeerRemoved(ILogger logger, string name, string why, int flows);

    [LoggerMessage(13, LogLevel.Information, "Own WireGuard key switched to {Key}; sessions kept, new handshakes started")]
    public static partial void OwnKeyRotated(ILogger logger, string key);

    [LoggerMessage(14, LogLevel.Information, "Rules replaced: {Rules} in force, {Flows} open flows cut")]
    public static partial void RulesReplaced(ILogger logger, int rules, int flows);

    [LoggerMessage(15, LogLevel.Warning, "Peer {Name} is listed with this interface's own key; left out")]
    public static partial void OwnKeyListedAsPeer(ILogger logger, string name);

    [LoggerMessage(16, LogLevel.Information, "Peer {Name} now goes {Path} ({Endpoint})")]
    public static partial void PathChanged(ILogger logger, string name, string path, string endpoint);

    [LoggerMessage(17, LogLevel.Warning, "The {Kind} handler failed on a datagram from {Source}; dropped")]
    public static partial void SinkFailed(ILogger logger, string kind, string source, Exception exception);
}
