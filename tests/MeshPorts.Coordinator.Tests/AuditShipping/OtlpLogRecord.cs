namespace MeshPorts.Coordinator.Tests.AuditShipping;

/// <summary>One decoded OTLP log record, with its resource's attributes.</summary>
internal sealed record OtlpLogRecord(ulong TimeUnixNano, int SeverityNumber, string Body, Dictionary<string, object> Attributes, Dictionary<string, object> Resource);
