using MeshPorts.Contracts.Node;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.StateDirectory;
using MeshPorts.WireGuard.Keys;
using Microsoft.Extensions.Logging;
using MeshDevice = MeshPorts.Node.Device.Device;

namespace MeshPorts.Node.Rotation;

/// <summary>
/// The node's WireGuard key and its rotation, make before break: the next key is saved in the state
/// dir (<see cref="INodeKeyStore"/>), registered with the coordinator, handed to every peer, and only
/// then does the device switch (<see cref="MeshDevice.RotatePrivateKey"/>), keeping open sessions.
/// </summary>
/// <remarks>
/// The key state is guarded by the agent's lock, because the agent reads it together with the mesh
/// view: members ending in <c>Locked</c> are called with that lock held. The rotation loop is in
/// KeyRotation.Loop.cs.
/// </remarks>
internal sealed partial class KeyRotation : IDisposable
{
    private readonly MeshDevice _device;
    private readonly ICoordinatorLink _link;
    private readonly INodeKeyStore _keys;
    private readonly TimeSpan _rotationWait;
    private readonly TimeSpan _rotationRetry;
    private readonly Lock _stateLock;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _rotateNow = new(0, 1);
    private readonly TimeSpan _keyLifetime;
    private TaskCompletionSource<WgKey>? _rotationReady;
    private WgKey _currentKey;
    private WgKey? _nextKey;
    private DateTimeOffset? _keyExpiresAt;
    private int _rotations;

    /// <param name="currentKey">The private key the device runs with now.</param>
    /// <param name="nextKey">A key an interrupted rotation left in the state dir, or null.</param>
    /// <param name="rotationWait">How long to wait for the peers (RotationReady) before switching anyway.</param>
    /// <param name="rotationRetry">Delay after a failed attempt.</param>
    /// <param name="stateLock">The agent's lock, which guards the key state.</param>
    public KeyRotation(
        MeshDevice device,
        ICoordinatorLink link,
        INodeKeyStore keys,
        WgKey currentKey,
        WgKey? nextKey,
        DateTimeOffset? keyExpiresAt,
        TimeSpan keyLifetime,
        TimeSpan rotationWait,
        TimeSpan rotationRetry,
        Lock stateLock,
        TimeProvider time,
        ILogger logger)
    {
        _device = device;
        _link = link;
        _keys = keys;
        _currentKey = currentKey;
        _nextKey = nextKey;
        _keyExpiresAt = keyExpiresAt;
        _keyLifetime = keyLifetime > TimeSpan.Zero ? keyLifetime : TimeSpan.FromHours(1);
        _rotationWait = rotationWait;
        _rotationRetry = rotationRetry;
        _stateLock = stateLock;
        _time = time;
        _logger = logger;
    }

    public WgKey CurrentPublicKeyLocked => _currentKey.PublicFromPrivate();

    public DateTimeOffset? KeyExpiresAtLocked => _keyExpiresAt;

    public int RotationsLocked => _rotations;

    /// <summary>Asks for a rotation now (as the coordinator's RotateNow does).</summary>
    public void Request()
    {
        if (_rotateNow.CurrentCount == 0)
        {
            try
            {
                _rotateNow.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already requested.
            }
        }
    }

    /// <summary>The coordinator's RotationReady: every peer has <paramref name="newPublicKey"/>.</summary>
    public void PeersReady(ReadOnlySpan<byte> newPublicKey)
    {
        if (newPublicKey.Length == WgKey.Size)
        {
            _rotationReady?.TrySetResult(WgKey.FromBytes(newPublicKey));
        }
    }

    /// <summary>
    /// What the coordinator says about this node's own key, before the device applies the view: a
    /// snapshot may finish an interrupted rotation, and the current key's expiry follows the coordinator.
    /// </summary>
    public void ObserveSelfLocked(SelfInfo? self, bool isSnapshot)
    {
        if (isSnapshot && _rotationReady is null)
        {
            // During a rotation the rotation itself switches, once the peers are ready.
            AdoptPublishedKeyLocked(self);
        }

        if (self?.KeyExpiresAt is { } expires && self.WireguardPublicKey.Span.SequenceEqual(_currentKey.PublicFromPrivate().AsSpan()))
        {
            _keyExpiresAt = expires.ToDateTimeOffset();
        }
    }

    public void Dispose() => _rotateNow.Dispose();

    /// <summary>
    /// After a restart in the middle of a rotation the state dir may hold a next key that the coordinator
    /// already publishes: switch to it. A next key it does not publish was never registered: forget it.
    /// </summary>
    private void AdoptPublishedKeyLocked(SelfInfo? self)
    {
        if (self is null || self.WireguardPublicKey.Length != WgKey.Size)
        {
            return;
        }

        var published = WgKey.FromBytes(self.WireguardPublicKey.Span);
        if (published == _currentKey.PublicFromPrivate())
        {
            if (_nextKey is not null && _rotationReady is null)
            {
                _keys.DiscardNextKey();
                _nextKey = null;
            }

            return;
        }

        if (_nextKey is { } next && published == next.PublicFromPrivate())
        {
            _device.RotatePrivateKey(next);
            _currentKey = next;
            _nextKey = null;
            _keyExpiresAt = self.KeyExpiresAt?.ToDateTimeOffset();
            _keys.PromoteNextKey(_keyExpiresAt ?? _time.GetUtcNow().Add(_keyLifetime));
            _rotations++;
            RotationLog.ResumedRotation(_logger);
            return;
        }

        if (_rotationReady is null)
        {
            RotationLog.UnknownOwnKey(_logger);
        }
    }
}
