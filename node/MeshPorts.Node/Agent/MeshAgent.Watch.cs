using MeshPorts.Contracts.Grammar;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.Paths;

namespace MeshPorts.Node.Agent;

internal sealed partial class MeshAgent
{
    private const int MaxCallMeEndpoints = 16;

    /// <summary>
    /// Follows the coordinator until cancelled. Each failure moves to the next replica and waits the
    /// <see cref="ReconnectSchedule"/> (reset by a stream that delivered anything): a few seconds at most while
    /// nothing answers, so a returning coordinator is followed again within them, the doubling backoff when it
    /// answered with a failure; both jittered, so a fleet cut off together comes back spread out.
    /// </summary>
    private async Task WatchLoopAsync(CancellationToken cancellation)
    {
        var schedule = new ReconnectSchedule(_options.InitialBackoff, _options.MaxBackoff, _options.OutageMaxBackoff, _options.Jitter);
        while (!cancellation.IsCancellationRequested)
        {
            string reason;
            Exception? error = null;
            var failed = false;
            try
            {
                var receivedAny = await FollowStreamAsync(cancellation).ConfigureAwait(false);
                if (receivedAny)
                {
                    schedule.Reset();
                }

                reason = "the stream ended";
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not AgentFatalException)
            {
                if (_link.FatalReason(ex) is { } fatal)
                {
                    SetDisconnected(fatal);
                    throw new AgentFatalException(fatal);
                }

                reason = ex.Message;
                error = ex;
                failed = true;
            }

            if (cancellation.IsCancellationRequested)
            {
                return;
            }

            SetDisconnected(reason);
            var delay = schedule.Next(error);
            if (failed)
            {
                var left = _link.CurrentUrl;
                _link.MoveToNextReplica();
                if (_link.CurrentUrl is { } next && left is not null && next != left)
                {
                    AgentLog.FailingOver(_logger, reason, left.GetLeftPart(UriPartial.Authority), next.GetLeftPart(UriPartial.Authority), DurationText.FormatApproximate(delay));
                }
                else
                {
                    AgentLog.Disconnected(_logger, reason, DurationText.FormatApproximate(delay));
                }
            }
            else
            {
                AgentLog.Disconnected(_logger, reason, DurationText.FormatApproximate(delay));
            }

            await Task.Delay(delay, _time, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>Follows one Watch stream until it ends, breaks or stays silent too long; true if anything arrived.</summary>
    private async Task<bool> FollowStreamAsync(CancellationToken cancellation)
    {
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        silence.CancelAfter(_options.WatchSilence);
        var receivedAny = false;
        var resume = _view.HasSnapshot ? _view.Serial : 0;
        try
        {
            await foreach (var watchEvent in _link.WatchAsync(resume, silence.Token).ConfigureAwait(false))
            {
                silence.CancelAfter(_options.WatchSilence);
                receivedAny = true;
                MarkContact();
                if (!await HandleEventAsync(watchEvent, cancellation).ConfigureAwait(false))
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new TimeoutException($"no heartbeat from the coordinator for {_options.WatchSilence.TotalSeconds:0} s");
        }

        return receivedAny;
    }

    /// <summary>False when the stream must be restarted (a serial gap).</summary>
    private async Task<bool> HandleEventAsync(WatchEvent watchEvent, CancellationToken cancellation)
    {
        switch (watchEvent.EventCase)
        {
            case WatchEvent.EventOneofCase.RotateNow:
                _rotation.Request();
                return true;
            case WatchEvent.EventOneofCase.RotationReady:
                _rotation.PeersReady(watchEvent.RotationReady.NewWireguardPublicKey.Span);
                return true;
            case WatchEvent.EventOneofCase.Heartbeat:
                // What the node knows of the coordinator's clock, for ends that arrive from now on.
                if (watchEvent.Heartbeat.ServerTime is { } serverTime)
                {
                    _device.Clock.Observe(serverTime.ToDateTimeOffset());
                }

                return true;
            case WatchEvent.EventOneofCase.CallMe:
                // Not state: no serial, no ack, never a gap. The path manager checks it is a current peer.
                HandleCallMe(watchEvent.CallMe);
                return true;
        }

        Device.MeshApplyResult result;
        IReadOnlyList<PathPeer>? applied;
        lock (_stateLock)
        {
            var outcome = _view.Apply(watchEvent);
            if (outcome == WatchApplyOutcome.NoChange)
            {
                return true;
            }

            if (outcome == WatchApplyOutcome.Gap)
            {
                AgentLog.Gap(_logger, _view.Serial);
                _view.Reset();
                return false;
            }

            _rotation.ObserveSelfLocked(_view.Self, watchEvent.EventCase == WatchEvent.EventOneofCase.Snapshot);

            try
            {
                result = _device.ApplyMesh(_view.ToDeviceConfig());
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
            {
                // The device keeps what it had; a fresh snapshot is the way back to a known state.
                AgentLog.ApplyFailed(_logger, watchEvent.Serial, ex.Message);
                _view.Reset();
                return false;
            }

            if (_view.Rejected > 0)
            {
                AgentLog.Rejected(_logger, _view.Rejected);
            }

            SaveNetmapLocked();
            ViewApplied?.Invoke(_view);
            applied = MeshApplied is null ? null : _view.ToPathPeers();
        }

        if (applied is not null)
        {
            MeshApplied?.Invoke(applied);
        }

        if (watchEvent.EventCase == WatchEvent.EventOneofCase.Snapshot)
        {
            AgentLog.Snapshot(_logger, watchEvent.Serial, _view.PeerCount, _view.RuleCount);
        }
        else
        {
            AgentLog.Delta(_logger, watchEvent.Serial, result.Added, result.Rekeyed, result.Removed, result.FlowsCut);
        }

        try
        {
            await _link.AckAsync(watchEvent.Serial, cancellation).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && _link.FatalReason(ex) is null)
        {
            // The next ack covers this serial too; the coordinator only uses it for status and rotation.
            AgentLog.AckFailed(_logger, watchEvent.Serial, ex.Message);
        }

        return true;
    }

    private void HandleCallMe(CallMeEvent callMe)
    {
        if (CallMeHandler is not { } handler || string.IsNullOrEmpty(callMe.FromNodeId))
        {
            return;
        }

        // The coordinator sends at most 16 checked candidates; more is not from a coordinator of ours.
        handler.OnCallMe(callMe.FromNodeId, [.. callMe.Endpoints.Take(MaxCallMeEndpoints)]);
    }

    private void MarkContact()
    {
        lock (_stateLock)
        {
            _connected = true;
            _lastContact = _time.GetUtcNow();
            _lastError = null;
        }
    }

    private void SetDisconnected(string reason)
    {
        lock (_stateLock)
        {
            _connected = false;
            _lastError = reason;
        }
    }
}
