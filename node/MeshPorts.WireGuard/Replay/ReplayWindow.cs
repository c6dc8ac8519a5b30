namespace MeshPorts.WireGuard.Replay;

/// <summary>
/// Sliding anti-replay window as in RFC 6479: a ring of 64-bit blocks, so moving the window forward
/// clears whole blocks instead of shifting a bitmap. 128 blocks with one kept as slack give a window of
/// 127 * 64 = 8128 counters, as wireguard-go and the kernel use. Not thread-safe; the caller locks.
/// </summary>
internal sealed class ReplayWindow
{
    private const int BlockBitLog = 6;
    private const int BlockBits = 1 << BlockBitLog;
    private const int RingBlocks = 128;
    private const int BlockMask = RingBlocks - 1;
    private const ulong BitMask = BlockBits - 1;

    public const ulong WindowSize = (RingBlocks - 1) * BlockBits;

    private readonly ulong[] _ring = new ulong[RingBlocks];
    private ulong _last;

    public void Reset()
    {
        Array.Clear(_ring);
        _last = 0;
    }

    /// <summary>
    /// Accepts <paramref name="counter"/> once: false if it is at or beyond <paramref name="limit"/>,
    /// older than the window, or already seen. Call only after the packet authenticated.
    /// </summary>
    public bool Validate(ulong counter, ulong limit)
    {
        if (counter >= limit)
        {
            return false;
        }

        var block = counter >> BlockBitLog;
        if (counter > _last)
        {
            var current = _last >> BlockBitLog;
            var diff = Math.Min(block - current, RingBlocks);
            for (var i = current + 1; diff > 0; i++, diff--)
            {
                _ring[(int)(i & BlockMask)] = 0;
            }

            _last = counter;
        }
        else if (_last - counter > WindowSize)
        {
            return false;
        }

        var index = (int)(block & BlockMask);
        var bit = 1UL << (int)(counter & BitMask);
        var old = _ring[index];
        _ring[index] = old | bit;
        return (old & bit) == 0;
    }
}
