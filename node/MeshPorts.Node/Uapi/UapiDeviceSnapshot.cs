using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Uapi;

/// <summary>The device state a "get=1" reply reports, captured at one instant by <see cref="IUapiDevice.Snapshot"/>.</summary>
internal sealed class UapiDeviceSnapshot
{
    /// <summary>Null or all-zero when no key is set: no private_key line is written.</summary>
    public WgKey? PrivateKey { get; init; }

    /// <summary>0 when not listening: no listen_port line is written.</summary>
    public ushort ListenPort { get; init; }

    /// <summary>0 when unset: no fwmark line is written.</summary>
    public uint Fwmark { get; init; }

    public IReadOnlyList<UapiPeerSnapshot> Peers { get; init; } = [];
}
