using MeshPorts.WireGuard.Crypto;
using MeshPorts.WireGuard.Replay;

namespace MeshPorts.WireGuard.Sessions;

/// <summary>
/// One direction pair of transport keys from a completed handshake. The imported AEAD keys are
/// reused for every packet and disposed when the keypair is retired and the last thread using it
/// lets go: a reference count (1 for the owning peer slot, +1 per in-flight use) makes concurrent
/// zeroing safe.
/// </summary>
internal sealed class Keypair
{
    private readonly AeadKey _sendKey;
    private readonly AeadKey _receiveKey;
    private readonly ReplayWindow _replay = new();
    private readonly Lock _replayLock = new();
    private ulong _sendCounter;
    private int _references = 1;
    private int _retired;

    public Keypair(Peer peer, ReadOnlySpan<byte> sendKey, ReadOnlySpan<byte> receiveKey, bool isInitiator, long created, uint localIndex, uint remoteIndex)
    {
        Peer = peer;
        _sendKey = Aead.ImportKey(sendKey);
        _receiveKey = Aead.ImportKey(receiveKey);
        IsInitiator = isInitiator;
        Created = created;
        LocalIndex = localIndex;
        RemoteIndex = remoteIndex;
    }

    public Peer Peer { get; }

    public bool IsInitiator { get; }

    /// <summary>Monotonic ticks when the handshake that produced it completed.</summary>
    public long Created { get; }

    public uint LocalIndex { get; }

    public uint RemoteIndex { get; }

    public ulong SendCounter => Volatile.Read(ref _sendCounter);

    public bool IsRetired => Volatile.Read(ref _retired) != 0;

    public bool IsExpired(long now) => now - Created >= Constants.RejectAfterTime;

    /// <summary>Lets tests reach the 2^60 / 2^64 message limits without sending that many packets.</summary>
    internal void SetSendCounterForTesting(ulong value) => Volatile.Write(ref _sendCounter, value);

    /// <summary>Reserves the next nonce; callers drop the packet if it reached the reject limit.</summary>
    public ulong NextSendCounter() => Interlocked.Increment(ref _sendCounter) - 1;

    public bool TryAcquire()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _sendKey.Dispose();
            _receiveKey.Dispose();
        }
    }

    /// <summary>Drops the owner's reference; the keys are wiped once no packet is using them.</summary>
    public void Retire()
    {
        // Idempotent: only the owner's single reference may be dropped here.
        if (Interlocked.Exchange(ref _retired, 1) == 0)
        {
            Release();
        }
    }

    /// <summary>Seals in place-compatible fashion: ciphertext may start where plaintext starts.</summary>
    public void Seal(ulong counter, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext) =>
        Aead.Seal(_sendKey, counter, plaintext, default, ciphertext);

    public bool Open(ulong counter, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext) =>
        Aead.Open(_receiveKey, counter, ciphertext, default, plaintext);

    public bool ValidateCounter(ulong counter)
    {
        lock (_replayLock)
        {
            return _replay.Validate(counter, Constants.RejectAfterMessages);
        }
    }
}
