namespace MeshPorts.Node.Filter;

/// <summary>The filter's counters; bumped with interlocked operations from any thread.</summary>
internal sealed class FilterCounters
{
    private readonly long[] _denied = new long[Enum.GetValues<FilterReason>().Length];
    private long _allowed;
    private long _cutFlows;
    private long _flowsCreated;
    private long _flowsEvicted;
    private long _endsEnforced;

    public long Allowed => Interlocked.Read(ref _allowed);

    /// <summary>Flows cut because what admitted them ended (each counted once, however many packets follow).</summary>
    public long CutFlows => Interlocked.Read(ref _cutFlows);

    /// <summary>Rules and grants whose end (NotAfter passed, or removed from the rule set) the filter acted on; each once.</summary>
    public long EndsEnforced => Interlocked.Read(ref _endsEnforced);

    public long FlowsCreated => Interlocked.Read(ref _flowsCreated);

    /// <summary>Flows removed from the table after idling out.</summary>
    public long FlowsEvicted => Interlocked.Read(ref _flowsEvicted);

    /// <summary>Packets refused for this reason (including packets of cut flows).</summary>
    public long Denied(FilterReason reason) => Interlocked.Read(ref _denied[(int)reason]);

    public long TotalDenied
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _denied.Length; i++)
            {
                sum += Interlocked.Read(ref _denied[i]);
            }

            return sum;
        }
    }

    internal void CountAllowed() => Interlocked.Increment(ref _allowed);

    internal void CountDenied(FilterReason reason) => Interlocked.Increment(ref _denied[(int)reason]);

    internal void CountCut() => Interlocked.Increment(ref _cutFlows);

    internal void CountCreated() => Interlocked.Increment(ref _flowsCreated);

    internal void CountEndEnforced() => Interlocked.Increment(ref _endsEnforced);

    internal void CountEvicted() => Interlocked.Increment(ref _flowsEvicted);
}
