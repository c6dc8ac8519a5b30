namespace MeshPorts.LoadTest;

/// <summary>When (Stopwatch ticks) a matching Watch event reached a node, and its size on the wire in bytes.</summary>
internal readonly record struct Arrival(long Timestamp, int Bytes);
