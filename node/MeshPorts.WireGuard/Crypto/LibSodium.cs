using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MeshPorts.WireGuard.Crypto;

/// <summary>
/// The libsodium functions the protocol calls directly on spans. NSec's key objects live in guarded
/// memory (sodium_malloc: an mmap, four mprotects, mlock, madvise, munlock and munmap each), which made
/// a handshake cost milliseconds; these calls take the caller's bytes as they are. Every signature is
/// blittable (pointers, integers), so the LibraryImport generator emits no marshalling and the calls
/// stay NativeAOT-safe. Signatures follow libsodium's sodium/crypto_scalarmult_curve25519.h,
/// crypto_aead_chacha20poly1305.h and crypto_aead_xchacha20poly1305.h; "unsigned long long" is ulong.
/// </summary>
internal static unsafe partial class LibSodium
{
    // The same library NSec loads: the libsodium package's runtimes/RID/native asset under the JIT
    // (listed in deps.json), and the libsodium.so that a NativeAOT publish copies beside the binary.
    private const string Library = "libsodium";

    static LibSodium()
    {
        // 0 = initialised now, 1 = already (NSec may have done it), -1 = failure. It picks the CPU's
        // fastest implementations, so it must run before the first call; it is idempotent and thread-safe.
        if (SodiumInit() < 0)
        {
            throw new InvalidOperationException("sodium_init failed.");
        }
    }

    [LibraryImport(Library, EntryPoint = "sodium_init")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    private static partial int SodiumInit();

    /// <summary>q = n * p; -1 when q is all zeros (p of small order), which WireGuard must refuse.</summary>
    [LibraryImport(Library, EntryPoint = "crypto_scalarmult_curve25519")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int ScalarMultCurve25519(byte* q, byte* n, byte* p);

    /// <summary>q = n * basepoint (the public key of private scalar n).</summary>
    [LibraryImport(Library, EntryPoint = "crypto_scalarmult_curve25519_base")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int ScalarMultCurve25519Base(byte* q, byte* n);

    /// <summary>c = ciphertext || 16-byte tag; nsec is unused and must be null; 12-byte npub.</summary>
    [LibraryImport(Library, EntryPoint = "crypto_aead_chacha20poly1305_ietf_encrypt")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int ChaCha20Poly1305IetfEncrypt(byte* c, ulong* clen, byte* m, ulong mlen, byte* ad, ulong adlen, byte* nsec, byte* npub, byte* k);

    /// <summary>0 when the tag verifies; -1 otherwise (and m is not written with unauthenticated data).</summary>
    [LibraryImport(Library, EntryPoint = "crypto_aead_chacha20poly1305_ietf_decrypt")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int ChaCha20Poly1305IetfDecrypt(byte* m, ulong* mlen, byte* nsec, byte* c, ulong clen, byte* ad, ulong adlen, byte* npub, byte* k);

    /// <summary>As the IETF variant, with a 24-byte npub.</summary>
    [LibraryImport(Library, EntryPoint = "crypto_aead_xchacha20poly1305_ietf_encrypt")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int XChaCha20Poly1305IetfEncrypt(byte* c, ulong* clen, byte* m, ulong mlen, byte* ad, ulong adlen, byte* nsec, byte* npub, byte* k);

    [LibraryImport(Library, EntryPoint = "crypto_aead_xchacha20poly1305_ietf_decrypt")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int XChaCha20Poly1305IetfDecrypt(byte* m, ulong* mlen, byte* nsec, byte* c, ulong clen, byte* ad, ulong adlen, byte* npub, byte* k);
}
