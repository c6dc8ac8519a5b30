namespace MeshPorts.Node.Filter;

internal sealed partial class PacketFilter
{
    /// <summary>
    /// Call every 100-250 ms. Cuts flows whose admitter has ended, even if they are idle, and returns the
    /// resets to emit; about once per <see cref="FilterOptions.IdleScanInterval"/> also evicts idle flows.
    /// Cheap when nothing has ended and no idle scan is due: it then only looks at the rules.
    /// </summary>
    public IReadOnlyList<FilterCut> Sweep()
    {
        lock (_sweepLock)
        {
            var now = NowTicks;
            var expiryDue = false;
            foreach (var slot in Volatile.Read(ref _rules).Slots)
            {
                var end = slot.NotAfterTicks;
                expiryDue |= end <= now && end > _lastExpiryScanTicks;
                if (end <= now && slot.MarkEndEnforced())
                {
                    Counters.CountEndEnforced();
                }
            }

            // A wall clock stepped backwards must not postpone the idle scan by the size of the step.
            var idleDue = now >= _nextIdleScanTicks || _nextIdleScanTicks - now > _idleScanInterval;
            if (!expiryDue && !idleDue)
            {
                return [];
            }

            _lastExpiryScanTicks = now;
            if (idleDue)
            {
                _nextIdleScanTicks = now + _idleScanInterval;
            }

            return Scan(now, idleDue);
        }
    }

    /// <summary>Cuts ended flows and, when asked, evicts idle ones. Safe against concurrent packets.</summary>
    private List<FilterCut> Scan(long now, bool evictIdle)
    {
        var cuts = new List<FilterCut>();
        Span<byte> tun = stackalloc byte[ResetBufferSize];
        Span<byte> peer = stackalloc byte[ResetBufferSize];
        foreach (var (_, flow) in _flows)
        {
            bool idle;
            lock (flow)
            {
                if (!flow.IsCut)
                {
                    var end = CheckAdmission(flow, now);
                    if (end != FilterReason.None)
                    {
                        CutFlow(flow, end, tun, peer, out var tunLength, out var peerLength);
                        cuts.Add(new FilterCut(
                            flow.Peer,
                            end,
                            tunLength > 0 ? tun[..tunLength].ToArray() : null,
                            peerLength > 0 ? peer[..peerLength].ToArray() : null));
                    }
                }

                idle = evictIdle && now - flow.LastSeenTicks >= IdleTimeout(flow);
            }

            if (idle && Remove(flow))
            {
                Counters.CountEvicted();
            }
        }

        return cuts;
    }
}
