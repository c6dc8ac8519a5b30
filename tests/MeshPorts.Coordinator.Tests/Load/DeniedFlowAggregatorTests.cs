using MeshPorts.Coordinator.Audit;

namespace MeshPorts.Coordinator.Tests.Load;

public sealed class DeniedFlowAggregatorTests
{
    private const long Window = 60_000;

    private static DeniedFlowAggregator Aggregator(int threshold = 3, int maxSources = 1000, int maxTargets = 100) =>
        new(threshold, TimeSpan.FromMilliseconds(Window), maxSources, maxTargets);

    [Fact]
    public void Source_CrossingTheThreshold_AlertsOncePerWindow()
    {
        var a = Aggregator();
        Assert.Null(a.Record("s", "db:1/tcp", 0));
        Assert.Null(a.Record("s", "db:1/tcp", 1));
        Assert.Null(a.Record("s", "db:2/tcp", 2));
        Assert.Equal(3, a.Record("s", "db:3/tcp", 3));
        Assert.Null(a.Record("s", "db:4/tcp", 4));
        Assert.Null(a.Record("s", "db:5/tcp", 5));

        // A window after the alert, targets 4 and 5 are still inside it: with 6 that is 3 again.
        Assert.Equal(3, a.Record("s", "db:6/tcp", Window + 3));
    }

    [Fact]
    public void Targets_OlderThanTheWindow_AreForgotten()
    {
        var a = Aggregator();
        a.Record("s", "db:1/tcp", 0);
        a.Record("s", "db:2/tcp", 1);
        Assert.Null(a.Record("s", "db:3/tcp", Window + 1));
    }

    [Fact]
    public void Sources_AreBounded_LeastRecentlyUsedEvicted()
    {
        var a = Aggregator(threshold: 2, maxSources: 2);
        a.Record("old", "db:1/tcp", 0);
        a.Record("kept", "db:1/tcp", 1);
        a.Record("old", "db:2/tcp", 1);
        a.Record("new", "db:1/tcp", 2);
        Assert.Equal(2, a.SourceCount);

        // "kept" was least recently used, so it starts over: one target is below the threshold of 2.
        Assert.Null(a.Record("kept", "db:2/tcp", 3));
        Assert.Equal(2, a.SourceCount);
    }

    [Fact]
    public void IdleSources_AreSwept()
    {
        var a = Aggregator();
        for (var i = 0; i < 100; i++)
        {
            a.Record("idle-" + i, "db:1/tcp", i);
        }

        for (var i = 0; i < 20; i++)
        {
            a.Record("live-" + i, "db:1/tcp", (2 * Window) + i);
        }

        Assert.Equal(20, a.SourceCount);
    }

    [Fact]
    public void TargetsPerSource_Saturate_AtTheCap()
    {
        var a = Aggregator(threshold: 3, maxTargets: 5);
        var alerts = new List<int>();
        foreach (var now in new[] { 0, Window - 1 })
        {
            for (var port = 1; port <= 1000; port++)
            {
                if (a.Record("s", $"db:{port}/tcp", now) is { } alert)
                {
                    alerts.Add(alert);
                }
            }
        }

        // Only the first five targets are remembered, refreshed at Window - 1; the 1000 others never were.
        Assert.Equal([3], alerts);
        Assert.Equal(5, a.Record("s", "db:9999/tcp", Window + 1));
    }
}
