using MeshPorts.Node.Io;
using MeshPorts.Node.Uapi;
using MeshPorts.WireGuard;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Device;

internal sealed partial class Device : IUapiDevice
{
    public UapiDeviceSnapshot Snapshot()
    {
        lock (_configLock)
        {
            var peers = new List<UapiPeerSnapshot>();
            foreach (var peer in _engine.GetPeers())
            {
                peers.Add(new UapiPeerSnapshot
                {
                    PublicKey = peer.PublicKey,
                    PresharedKey = peer.PresharedKey ?? default,
                    Endpoint = peer.Endpoint,
                    LastHandshake = peer.LastHandshake,
                    TxBytes = (ulong)peer.TxBytes,
                    RxBytes = (ulong)peer.RxBytes,
                    PersistentKeepaliveInterval = peer.PersistentKeepaliveInterval,
                    AllowedIps = _routes.EnumerateFor(peer),
                });
            }

            return new UapiDeviceSnapshot
            {
                PrivateKey = _engine.PrivateKey,
                ListenPort = ListenPort,
                Fwmark = _fwmark,
                Peers = peers,
            };
        }
    }

    /// <summary>
    /// Applies a validated <c>set=1</c> request. The parser has already rejected bad input; the only
    /// thing that can still fail is binding a new port, which is tried before anything changes.
    /// </summary>
    public int Apply(UapiSetRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_configLock)
        {
            if (_disposed)
            {
                return UapiErrno.IO;
            }

            IUdpTransport? rebound = null;
            if (request.ListenPort is { } port && port != ListenPort)
            {
                if (_started)
                {
                    try
                    {
                        rebound = _udpFactory.Bind(port);
                    }
                    catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
                    {
                        return UapiErrno.AddressInUse;
                    }
                }

                _listenPort = port;
            }

            if (request.PrivateKey is { } privateKey)
            {
                var wasOwnKey = privateKey.IsZero ? null : (WgKey?)privateKey.PublicFromPrivate();
                if (wasOwnKey is { } ownPublic && _engine.TryGetPeer(ownPublic, out var self))
                {
                    // The engine drops a peer that has our own key; its routes must go with it.
                    _routes.RemoveAll(self);
                }

                _engine.SetPrivateKey(privateKey.IsZero ? null : privateKey);
            }

            if (request.Fwmark is { } mark)
            {
                _fwmark = mark;
                _udp?.SetFwmark(mark);
            }

            if (rebound is not null)
            {
                if (_fwmark != 0)
                {
                    rebound.SetFwmark(_fwmark);
                }

                var old = _udp;
                _udp = rebound;
                old?.Dispose();
                StartThread($"udp-read-{rebound.LocalPort}", () => UdpReadLoop(rebound));
                DeviceLog.Rebound(_logger, rebound.LocalPort);
            }

            if (request.ReplacePeers)
            {
                _engine.RemoveAllPeers();
                _routes.Clear();
            }

            foreach (var update in request.Peers)
            {
                ApplyPeer(update);
            }

            return UapiErrno.Ok;
        }
    }

    // Called with _configLock held.
    private void ApplyPeer(UapiPeerUpdate update)
    {
        _engine.TryGetPeer(update.PublicKey, out var peer);
        if (update.Remove)
        {
            if (peer is not null)
            {
                _routes.RemoveAll(peer);
                _engine.RemovePeer(update.PublicKey);
                DeviceLog.PeerRemoved(_logger, update.PublicKey.ToBase64());
            }

            return;
        }

        if (peer is null)
        {
            if (update.UpdateOnly || _engine.PublicKey == update.PublicKey)
            {
                // wg and wireguard-go silently ignore a peer carrying the interface's own key.
                return;
            }

            peer = _engine.AddPeer(update.PublicKey);
            DeviceLog.PeerAdded(_logger, update.PublicKey.ToBase64());
        }

        if (update.PresharedKey is { } psk)
        {
            peer.PresharedKey = psk.IsZero ? null : psk;
        }

        if (update.Endpoint is { } endpoint)
        {
            peer.Endpoint = endpoint;
        }

        if (update.ReplaceAllowedIps)
        {
            _routes.RemoveAll(peer);
        }

        foreach (var prefix in update.AllowedIps)
        {
            _routes.Insert(prefix, peer);
        }

        // Last, so that a keepalive sent because it was switched on already has an endpoint.
        if (update.PersistentKeepaliveInterval is { } keepalive)
        {
            peer.PersistentKeepaliveInterval = keepalive;
        }
    }
}
