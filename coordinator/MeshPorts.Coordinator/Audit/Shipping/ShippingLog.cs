using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.Audit.Shipping;

internal static partial class ShippingLog
{
    [LoggerMessage(EventId = 340, Level = LogLevel.Warning, Message = "could not ship audit event {Seq} to {Sink}: {Error}; counted in meshports_audit_ship_dropped_total, the database keeps it (logged once until the sink works again)")]
    public static partial void SendFailed(ILogger logger, string sink, long seq, string error);

    [LoggerMessage(EventId = 341, Level = LogLevel.Information, Message = "shipping audit events to {Sink} works again (event {Seq})")]
    public static partial void Recovered(ILogger logger, string sink, long seq);

    [LoggerMessage(EventId = 342, Level = LogLevel.Warning, Message = "the {Sink} audit queue is full ({Capacity} events): dropping events for it until it drains (logged once until then)")]
    public static partial void QueueFull(ILogger logger, string sink, int capacity);
}
