namespace MeshPorts.Contracts.Relay;

/// <summary>
/// The anti-replay window of UDP relay frames (docs/nat.md), for one direction, used by the relay and the
/// node alike: the last <see cref="Size"/> counters: a ring of
/// 64-bit blocks, one spare so the window's oldest block is never the one being cleared. Counter 0 is never
/// valid (each direction starts at 1). Not thread-safe: the caller holds the relay's lock.
/// </summary>
public sealed class RelayReplayWindow
{
    public const int Size = 2048;

    private const int BlockBits = 64;
    private const int Blocks = (Size / BlockBits) + 1;

    private readonly ulong[] _ring = new ulong[Blocks];
    private ulong _last;

    /// <summary>True the first time a counter inside the window is seen; marks it seen. Call only after the frame authenticated, so forged counters cannot move the window.</summary>
    public bool Accept(ulong counter)
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
        else if (_last - counter >= Size)
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
