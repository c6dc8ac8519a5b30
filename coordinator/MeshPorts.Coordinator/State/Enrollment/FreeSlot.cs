using System.Security.Cryptography;

namespace MeshPorts.Coordinator.State.Enrollment;

/// <summary>
/// Which free number (overlay address index, fleet node-N) an enrollment takes: the lowest on a first try; after
/// a race lost to another replica, one of the lowest few at random. Two replicas that both always take the lowest
/// collide again on every retry, and the one that rereads the store between tries loses each time.
/// </summary>
internal static class FreeSlot
{
    /// <summary>How many of the lowest free numbers a retry chooses among.</summary>
    public const int RetrySpread = 16;

    public static int Pick(int first, int last, Func<int, bool> isTaken, bool retry)
    {
        ArgumentNullException.ThrowIfNull(isTaken);
        var want = retry ? RetrySpread : 1;
        var free = new List<int>(want);
        for (var i = first; i <= last && free.Count < want; i++)
        {
            if (!isTaken(i))
            {
                free.Add(i);
            }
        }

        return free.Count == 0
            ? throw new InvalidOperationException($"every number from {first} to {last} is taken")
            : free[free.Count == 1 ? 0 : RandomNumberGenerator.GetInt32(free.Count)];
    }
}
