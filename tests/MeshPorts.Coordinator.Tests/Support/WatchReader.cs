using Grpc.Core;
using MeshPorts.Contracts.Node;

namespace MeshPorts.Coordinator.Tests.Support;

/// <summary>Reads the next non-heartbeat Watch event with a timeout, so a missing event fails the test instead of hanging it.</summary>
internal static class WatchReader
{
    public static async Task<WatchEvent> NextAsync(AsyncServerStreamingCall<WatchEvent> call, int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        while (true)
        {
            bool moved;
            try
            {
                moved = await call.ResponseStream.MoveNext(cts.Token);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cts.IsCancellationRequested)
            {
                throw new TimeoutException($"no Watch event within {timeoutMs} ms");
            }

            if (!moved)
            {
                throw new InvalidOperationException("the Watch stream ended");
            }

            if (call.ResponseStream.Current.EventCase != WatchEvent.EventOneofCase.Heartbeat)
            {
                return call.ResponseStream.Current;
            }
        }
    }
}
