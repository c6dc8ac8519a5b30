using MeshPorts.Node.Paths;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Coordinator;

/// <summary>
/// The path manager's <see cref="ICallMeSender"/> over the coordinator link: fire and forget (the path
/// manager paces call-mes and a lost one is retried by the next probe round), failures logged at debug.
/// </summary>
internal sealed partial class CallMeSender(ICoordinatorLink link, ILogger logger, CancellationToken stopping) : ICallMeSender
{
    public void RequestCallMe(string peerNodeId) => _ = SendAsync(peerNodeId);

    private async Task SendAsync(string peerNodeId)
    {
        try
        {
            await link.CallMeAsync(peerNodeId, stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Failed(logger, peerNodeId, ex.Message);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "call-me for {Peer} failed: {Reason}; the next probe round asks again")]
    private static partial void Failed(ILogger logger, string peer, string reason);
}
