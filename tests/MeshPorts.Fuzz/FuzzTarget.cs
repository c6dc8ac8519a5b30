namespace MeshPorts.Fuzz;

/// <summary>Runs one input through a parser. Anything it throws is a crash: malformed input must be dropped.</summary>
internal delegate void FuzzInput(ReadOnlySpan<byte> data);

/// <summary>
/// One fuzz target: a parser some peer, local user or the coordinator can feed, and a few valid and
/// edge inputs made with the project's own encoders (the seed corpus, tests/fuzz-corpus/NAME/).
/// </summary>
/// <param name="Name">The corpus folder and the name scripts/fuzz.sh runs.</param>
/// <param name="Feeds">Who can send it this input, and where it enters.</param>
internal sealed record FuzzTarget(string Name, string Feeds, FuzzInput Run, Func<IEnumerable<(string Name, byte[] Data)>> Seeds);
