namespace MeshPorts.Node.Relay;

/// <summary>
/// The 2048-frame anti-replay window of UDP relay frames (docs/nat.md): a counter is taken once, and
/// not when it is 2048 or more behind the highest seen. Counters start at 1. Not thread-safe; the caller locks.
/// </summary>
internal sealed class RelayReplayWindow
{
    public const int Size = 2048;

    private readonly ulong[] _bits = new ulong[Size / 64];
    private ulong _highest;

    /// <summary>Call only after the frame authenticated, so forged counters cannot move the window.</summary>
    public bool Accept(ulong counter)
    {
        if (counter == 0)
        {
            return false;
        }

        if (counter > _highest)
        {
            var advance = counter - _highest;
            if (advance >= Size)
            {
                Array.Clear(_bits);
            }
            else
            {
                for (var c = _highest + 1; c <= counter; c++)
                {
                    Clear(c);
                }
            }

            _highest = counter;
            Set(counter);
            return true;
        }

        if (_highest - counter >= Size || IsSet(counter))
        {
            return false;
        }

        Set(counter);
        return true;
    }

    private bool IsSet(ulong counter) => (_bits[(int)(counter % Size) >> 6] & (1UL << (int)(counter & 63))) != 0;

    private void Set(ulong counter) => _bits[(int)(counter % Size) >> 6] |= 1UL << (int)(counter & 63);

    private void Clear(ulong counter) => _bits[(int)(counter % Size) >> 6] &= ~(1UL << (int)(counter & 63));
}
