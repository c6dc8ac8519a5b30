using Google.Protobuf.WellKnownTypes;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.Filter;

namespace MeshPorts.Node.Agent;

internal sealed partial class MeshAgent
{
    // Denied flows are aggregated by the filter and sent in batches, so a port scan costs the
    // coordinator one small message per interval rather than one per packet.
    private async Task ReportLoopAsync(CancellationToken cancellation)
    {
        if (_device.Filter is not { } filter)
        {
            return;
        }

        while (!cancellation.IsCancellationRequested)
        {
            await Task.Delay(_options.DeniedReportInterval, _time, cancellation).ConfigureAwait(false);
            var records = filter.Denied.Drain();
            if (records.Count == 0)
            {
                continue;
            }

            var flows = records.Select(ToProto).ToList();
            try
            {
                await _link.ReportDeniedFlowsAsync(flows, cancellation).ConfigureAwait(false);
                AgentLog.DeniedReported(_logger, flows.Count);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                AgentLog.DeniedReportFailed(_logger, ex.Message, flows.Count);
            }
        }
    }

    private static DeniedFlow ToProto(DeniedFlowRecord record) => new()
    {
        SourceAddress = record.Source.ToString(),
        DestinationAddress = record.Destination.ToString(),
        Port = record.Port,
        Protocol = record.IpProtocol switch
        {
            6 => Protocol.Tcp,
            17 => Protocol.Udp,
            _ => Protocol.Unspecified,
        },
        Count = (uint)Math.Min(record.Count, uint.MaxValue),
        FirstSeen = Timestamp.FromDateTimeOffset(record.FirstSeen),
        LastSeen = Timestamp.FromDateTimeOffset(record.LastSeen),
    };
}
