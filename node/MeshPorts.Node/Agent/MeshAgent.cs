using MeshPorts.Contracts.Node;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.Paths;
using MeshPorts.Node.Rotation;
using MeshPorts.Node.StateDirectory;
using MeshPorts.WireGuard.Keys;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Agent;

/// <summary>
/// The control loop of a running node: follows the coordinator's Watch stream into the device, acks
/// each serial, rotates the node's key make-before-break, and reports denied flows. Split by concern:
/// the Watch stream in MeshAgent.Watch.cs, the netmap cache in MeshAgent.Cache.cs, reports in
/// MeshAgent.Reports.cs; the key and its rotation are <see cref="KeyRotation"/>'s.
/// </summary>
/// <remarks>
/// Fail static, fail closed: when the coordinator is unreachable nothing is torn down, and nothing
/// here is needed for grants and keys to end on time; the device and its filter do that on their own
/// clock. The agent only ever adds what the coordinator says, for as long as it says.
/// </remarks>
internal sealed partial class MeshAgent : IDisposable
{
    private readonly Device.Device _device;
    private readonly ICoordinatorLink _link;
    private readonly INodeKeyStore _keys;
    private readonly KeyRotation _rotation;
    private readonly AgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly MeshView _view;
    private readonly Lock _stateLock = new();
    private bool _connected;
    private DateTimeOffset? _lastContact;
    private string? _lastError;

    /// <param name="currentKey">The private key the device runs with now.</param>
    /// <param name="nextKey">A key an interrupted rotation left in the state dir, or null.</param>
    public MeshAgent(
        Device.Device device,
        ICoordinatorLink link,
        INodeKeyStore keys,
        WgKey currentKey,
        WgKey? nextKey,
        DateTimeOffset? keyExpiresAt,
        TimeSpan keyLifetime,
        AgentOptions options,
        TimeProvider time,
        ILogger logger)
    {
        _device = device;
        _link = link;
        _keys = keys;
        _options = options;
        _time = time;
        _logger = logger;
        _view = new MeshView { ServeNames = options.ServeNames };
        _rotation = new KeyRotation(device, link, keys, currentKey, nextKey, keyExpiresAt, keyLifetime, options.RotationWait, options.RotationRetry, _stateLock, time, logger);
    }

    /// <summary>The latest view of the mesh; read under the agent's lock through <see cref="Status"/>.</summary>
    public MeshView View => _view;

    /// <summary>
    /// Takes the coordinator's call_me events (the path manager); null: they are ignored. Set before
    /// <see cref="RunAsync"/>.
    /// </summary>
    public ICallMeHandler? CallMeHandler { get; set; }

    /// <summary>
    /// Called after every netmap the device applied, with the peers as the path manager and the relay client
    /// take them, outside the agent's lock. Set before <see cref="RunAsync"/>.
    /// </summary>
    public Action<IReadOnlyList<PathPeer>>? MeshApplied { get; set; }

    /// <summary>
    /// Called with the agent's lock held after every netmap the device applied (the name server rebuilds its
    /// zone from it, so names follow each delta at once). Must be quick and must not call back into the
    /// agent. Set before <see cref="RunAsync"/>.
    /// </summary>
    public Action<MeshView>? ViewApplied { get; set; }

    /// <summary>The public key the node runs with now.</summary>
    public WgKey PublicKey
    {
        get
        {
            lock (_stateLock)
            {
                return _rotation.CurrentPublicKeyLocked;
            }
        }
    }

    public AgentStatus Status()
    {
        lock (_stateLock)
        {
            return new AgentStatus(_connected, _view.Serial, _rotation.KeyExpiresAtLocked, _lastContact, _lastError, _rotation.RotationsLocked, _view.Rejected);
        }
    }

    /// <summary>Runs until <paramref name="cancellation"/> fires; throws <see cref="AgentFatalException"/> when it cannot go on.</summary>
    public async Task RunAsync(CancellationToken cancellation)
    {
        RestoreCachedNetmap();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var loops = new[]
        {
            WatchLoopAsync(linked.Token),
            _rotation.RunAsync(linked.Token),
            ReportLoopAsync(linked.Token),
        };
        try
        {
            // The first loop to end for good (a fatal error, or cancellation) ends them all.
            await await Task.WhenAny(loops).ConfigureAwait(false);
        }
        finally
        {
            await linked.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(loops).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The loops' normal way out.
            }
        }
    }

    /// <summary>Asks for a rotation now (as the coordinator's RotateNow does).</summary>
    public void RequestRotation() => _rotation.Request();

    public void Dispose() => _rotation.Dispose();
}
