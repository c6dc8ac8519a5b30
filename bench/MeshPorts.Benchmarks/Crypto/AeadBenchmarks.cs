using BenchmarkDotNet.Attributes;
using MeshPorts.WireGuard.Crypto;

namespace MeshPorts.Benchmarks.Crypto;

/// <summary>
/// ChaCha20-Poly1305 exactly as a transport keypair uses it: a key imported once, WireGuard's nonce
/// built per call, no associated data. Open verifies a ciphertext sealed in setup (no replay check here;
/// the engine benchmarks cover that).
/// </summary>
[MemoryDiagnoser]
public class AeadBenchmarks
{
    private AeadKey _key = null!;
    private byte[] _plaintext = [];
    private byte[] _ciphertext = [];
    private byte[] _sealed = [];
    private byte[] _opened = [];
    private ulong _counter;

    [Params(64, 512, 1420)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var raw = new byte[Aead.KeySize];
        Random.Shared.NextBytes(raw);
        _key = Aead.ImportKey(raw);
        _plaintext = new byte[Size];
        Random.Shared.NextBytes(_plaintext);
        _ciphertext = new byte[Size + Aead.TagSize];
        _sealed = new byte[Size + Aead.TagSize];
        _opened = new byte[Size];
        Aead.Seal(_key, 7, _plaintext, default, _sealed);
    }

    [Benchmark]
    public void Seal() => Aead.Seal(_key, _counter++, _plaintext, default, _ciphertext);

    [Benchmark]
    public bool Open() => Aead.Open(_key, 7, _sealed, default, _opened);

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();
}
