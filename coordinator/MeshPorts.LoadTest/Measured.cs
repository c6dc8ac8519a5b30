namespace MeshPorts.LoadTest;

/// <summary>Latencies (ms) of one change at every affected node, and the largest delta it sent.</summary>
internal readonly record struct Measured(double[] Millis, int Bytes);
