namespace MeshPorts.Node.Paths;

/// <summary>Takes the coordinator's call_me events (WatchEvent.call_me), which the agent receives.</summary>
internal interface ICallMeHandler
{
    /// <param name="fromNodeId">The peer that asks to be probed.</param>
    /// <param name="endpoints">Its candidates as the coordinator knows them ("IP:PORT"); unparsable ones are skipped.</param>
    void OnCallMe(string fromNodeId, IReadOnlyList<string> endpoints);
}
