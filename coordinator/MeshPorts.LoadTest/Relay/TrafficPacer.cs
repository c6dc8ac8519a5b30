using System.Diagnostics;

namespace MeshPorts.LoadTest.Relay;

/// <summary>
/// Sends every node's datagrams at a steady rate for a while: each node's k-th datagram is due at
/// (k + offset) / rate seconds, the offsets spread evenly over one interval so 400 nodes do not all send
/// in the same instant (real nodes are not in step). A few dedicated threads, each owning a slice of the
/// nodes, wake every millisecond and send what is due.
/// </summary>
internal static class TrafficPacer
{
    public static Task RunAsync(IReadOnlyList<RelayPeer> senders, byte step, bool viaRelay, int rate, TimeSpan duration)
    {
        var total = (long)(duration.TotalSeconds * rate);
        var threads = Math.Clamp(Environment.ProcessorCount, 1, 4);
        var start = Stopwatch.GetTimestamp();
        foreach (var s in senders)
        {
            s.Sent = 0;
        }

        var tasks = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(
            () =>
            {
                var mine = senders.Where((_, i) => i % threads == t).ToArray();
                while (true)
                {
                    var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    var pending = false;
                    foreach (var s in mine)
                    {
                        var offset = (double)s.Index / senders.Count;
                        var due = Math.Min(total, (long)Math.Floor((elapsed * rate) - offset) + 1);
                        while (s.Sent < due)
                        {
                            s.SendOne(step, viaRelay);
                        }

                        pending |= s.Sent < total;
                    }

                    if (!pending)
                    {
                        return;
                    }

                    Thread.Sleep(1);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default));
        return Task.WhenAll(tasks);
    }
}
