using BenchmarkDotNet.Attributes;
using MeshPorts.Node.Routing;

namespace MeshPorts.Benchmarks.Routing;

/// <summary>
/// Longest-prefix match in the cryptokey routing table, loaded with 10,000 IPv4 and 10,000 IPv6 prefixes
/// of mixed lengths spread over 256 owners. "Hit" addresses lie inside a random inserted prefix (the
/// common case: traffic to a known peer); "Random" addresses are uniform (mostly misses for IPv6, an
/// attacker's or a misrouted packet's case). Seeded, so every run builds the same table.
/// </summary>
[MemoryDiagnoser]
public class AllowedIpsBenchmarks
{
    private const int Prefixes = 10_000;
    private const int Lookups = 4_096;

    private readonly AllowedIpsTable<object> _table = new();
    private byte[] _v4Hit = [];
    private byte[] _v4Random = [];
    private byte[] _v6Hit = [];
    private byte[] _v6Random = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var owners = new object[256];
        for (var i = 0; i < owners.Length; i++)
        {
            owners[i] = new object();
        }

        var v4 = Fill(random, owners, 4, minLength: 8, maxLength: 32);
        var v6 = Fill(random, owners, 16, minLength: 16, maxLength: 128);
        _v4Hit = Inside(random, v4, 4);
        _v6Hit = Inside(random, v6, 16);
        _v4Random = new byte[Lookups * 4];
        _v6Random = new byte[Lookups * 16];
        random.NextBytes(_v4Random);
        random.NextBytes(_v6Random);
        if (_table.Count < 2 * Prefixes * 9 / 10)
        {
            throw new InvalidOperationException($"Only {_table.Count} distinct prefixes were inserted.");
        }
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int LookupIPv4Hit() => Run(_v4Hit, 4);

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int LookupIPv4Random() => Run(_v4Random, 4);

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int LookupIPv6Hit() => Run(_v6Hit, 16);

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int LookupIPv6Random() => Run(_v6Random, 16);

    private int Run(byte[] addresses, int size)
    {
        var found = 0;
        for (var offset = 0; offset < addresses.Length; offset += size)
        {
            if (_table.Lookup(addresses.AsSpan(offset, size)) is not null)
            {
                found++;
            }
        }

        return found;
    }

    private List<(byte[] Address, int Length)> Fill(Random random, object[] owners, int size, int minLength, int maxLength)
    {
        var inserted = new List<(byte[], int)>(Prefixes);
        for (var i = 0; i < Prefixes; i++)
        {
            var address = new byte[size];
            random.NextBytes(address);

            // Mostly long prefixes (hosts and small subnets, as a mesh hands out), some short ones.
            var length = random.Next(4) == 0 ? random.Next(minLength, maxLength + 1) : random.Next(Math.Max(minLength, maxLength - 8), maxLength + 1);
            _table.Insert(IpPrefix.Create(address, length), owners[random.Next(owners.Length)]);
            inserted.Add((address, length));
        }

        return inserted;
    }

    private static byte[] Inside(Random random, List<(byte[] Address, int Length)> prefixes, int size)
    {
        var addresses = new byte[Lookups * size];
        var host = new byte[size];
        for (var i = 0; i < Lookups; i++)
        {
            var (prefix, length) = prefixes[random.Next(prefixes.Count)];
            random.NextBytes(host);
            var target = addresses.AsSpan(i * size, size);
            for (var b = 0; b < size; b++)
            {
                // Keep the prefix's first `length` bits, randomise the host bits.
                var keep = Math.Clamp(length - (b * 8), 0, 8);
                var mask = (byte)(0xFF << (8 - keep));
                target[b] = (byte)((prefix[b] & mask) | (host[b] & ~mask));
            }
        }

        return addresses;
    }
}
