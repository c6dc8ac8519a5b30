using MeshPorts.Contracts.Grammar;
using MeshPorts.Node.Agent;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Rotation;

internal sealed partial class KeyRotation
{
    // Rotates at half of the key's lifetime, or when asked; a failed attempt is retried.
    public async Task RunAsync(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            var why = await WaitForRotationDueAsync(cancellation).ConfigureAwait(false);
            try
            {
                await RotateOnceAsync(why, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not AgentFatalException)
            {
                if (_link.FatalReason(ex) is { } fatal)
                {
                    throw new AgentFatalException(fatal);
                }

                RotationLog.RotationFailed(_logger, ex.Message, DurationText.FormatApproximate(_rotationRetry));
                await Task.Delay(_rotationRetry, _time, cancellation).ConfigureAwait(false);

                // Whatever asked for it (an admin, or the half-life) still wants a new key.
                Request();
            }
        }
    }

    private async Task<string> WaitForRotationDueAsync(CancellationToken cancellation)
    {
        while (true)
        {
            TimeSpan wait;
            lock (_stateLock)
            {
                // Half-life: a key that lives an hour is replaced after 30 minutes, so a node that is cut
                // off from the coordinator still has half a lifetime to get a new one in.
                wait = _keyExpiresAt is { } expires
                    ? expires - (_keyLifetime / 2) - _time.GetUtcNow()
                    : TimeSpan.FromMinutes(1);
            }

            if (wait <= TimeSpan.Zero)
            {
                return "half of the key's lifetime has passed";
            }

            // Wake at least once a minute: the expiry may move (a snapshot after a restart).
            if (await _rotateNow.WaitAsync(TimeSpan.FromTicks(Math.Min(wait.Ticks, TimeSpan.FromMinutes(1).Ticks)), cancellation).ConfigureAwait(false))
            {
                return "asked to rotate now";
            }
        }
    }

    /// <summary>
    /// Make before break: the new key is saved, registered, and handed to every peer by the coordinator
    /// while this node still runs the old one; only when the coordinator reports the peers ready (or
    /// after the rotation wait) does the device switch, keeping open sessions.
    /// </summary>
    private async Task RotateOnceAsync(string why, CancellationToken cancellation)
    {
        RotationLog.RotationStarted(_logger, why);
        var next = WgKey.GeneratePrivate();
        var nextPublic = next.PublicFromPrivate();
        var ready = new TaskCompletionSource<WgKey>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_stateLock)
        {
            _keys.SaveNextKey(next);
            _nextKey = next;
            _rotationReady = ready;
        }

        try
        {
            var response = await _link.RotateKeyAsync(nextPublic.AsSpan().ToArray(), cancellation).ConfigureAwait(false);
            var expiresAt = response.KeyExpiresAt?.ToDateTimeOffset() ?? _time.GetUtcNow().Add(_keyLifetime);
            var peersReady = false;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
            {
                timeout.CancelAfter(_rotationWait);
                while (true)
                {
                    try
                    {
                        var key = await ready.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
                        if (key == nextPublic)
                        {
                            peersReady = true;
                            break;
                        }

                        ready = new TaskCompletionSource<WgKey>(TaskCreationOptions.RunContinuationsAsynchronously);
                        lock (_stateLock)
                        {
                            _rotationReady = ready;
                        }
                    }
                    catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                    {
                        // Bounded wait: peers that have not caught up re-handshake once they have the key.
                        break;
                    }
                }
            }

            lock (_stateLock)
            {
                _device.RotatePrivateKey(next);
                _currentKey = next;
                _nextKey = null;
                _keyExpiresAt = expiresAt;
                _keys.PromoteNextKey(expiresAt);
                _rotations++;
            }

            RotationLog.RotationDone(_logger, nextPublic.ToBase64(), expiresAt, peersReady);
        }
        finally
        {
            lock (_stateLock)
            {
                _rotationReady = null;
            }
        }
    }
}
