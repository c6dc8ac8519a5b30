namespace MeshPorts.LoadTest;

/// <summary>Latencies (ms, NaN where lost) of one change at every affected node, the largest delta it sent, and how many never came.</summary>
internal readonly record struct Measured(double[] Millis, int Bytes, int Lost);
