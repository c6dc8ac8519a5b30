namespace MeshPorts.Relay;

/// <summary>
/// A sliding window of the last <see cref="RelayLimits.ReplayWindow"/> counters of one direction: a ring of
/// 64-bit blocks, one spare so the window's oldest block is never the one being cleared. Counter 0 is never
/// valid (each direction starts at 1). Not thread-safe: the caller holds the relay's lock.
/// </summary>
internal sealed class ReplayWindow
{
    private const int BlockBits = 64;
    private const int Blocks = (RelayLimits.ReplayWindow / BlockBits) + 1;

    private readonly ulong[] _ring = new ulong[Blocks];
    private ulong _last;

    /// <summary>True the first time a counter inside the window is seen; marks it seen.</summary>
    public bool TryAccept(ulong counter)
    {
        if (counter == 0)
        {
            return false;
        }

        if (counter > _last)
        {
            var current = counter / BlockBits;
            var previous = _last / BlockBits;
            var clear = Math.Min(current - previous, Blocks);
            for (ulong i = 1; i <= clear; i++)
            {
                _ring[(previous + i) % Blocks] = 0;
            }

            _last = counter;
        }
        else if (_last - counter >= RelayLimits.ReplayWindow)
        {
            return false;
        }

        var block = (int)(counter / BlockBits % Blocks);
        var bit = 1UL << (int)(counter % BlockBits);
        if ((_ring[block] & bit) != 0)
        {
            return false;
        }

        _ring[block] |= bit;
        return true;
    }
}
