using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Uapi;

/// <summary>
/// A validated "set=1" request. The parser builds it only when every line is valid, so applying it
/// is all or nothing. Null fields were not mentioned and keep their current value.
/// </summary>
internal sealed class UapiSetRequest
{
    /// <summary>private_key; an all-zero key (<see cref="WgKey.IsZero"/>) clears the device key.</summary>
    public WgKey? PrivateKey { get; set; }

    public ushort? ListenPort { get; set; }

    /// <summary>fwmark; 0 clears it.</summary>
    public uint? Fwmark { get; set; }

    /// <summary>replace_peers=true: remove every existing peer before applying <see cref="Peers"/>.</summary>
    public bool ReplacePeers { get; set; }

    /// <summary>Peer sections in request order; the same key may appear twice and applies in order.</summary>
    public List<UapiPeerUpdate> Peers { get; } = [];
}
