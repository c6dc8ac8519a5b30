using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace MeshPorts.Coordinator.Auth;

/// <summary>
/// Single-use server nonces. A signature over a nonce can be replayed at most never: the nonce is
/// removed on first use, and unused ones lapse after their lifetime.
/// </summary>
internal sealed class ChallengeStore
{
    private readonly ConcurrentDictionary<string, (string MachineKey, long ExpiresAt)> _nonces = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;

    public ChallengeStore(TimeProvider time, TimeSpan lifetime)
    {
        _time = time;
        _lifetime = lifetime;
    }

    public (byte[] Nonce, long ExpiresAt) Issue(ReadOnlySpan<byte> machineKey)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_nonces.Count > 10_000)
        {
            foreach (var (key, value) in _nonces)
            {
                if (value.ExpiresAt <= now)
                {
                    _nonces.TryRemove(key, out _);
                }
            }
        }

        var nonce = RandomNumberGenerator.GetBytes(32);
        var expires = now + (long)_lifetime.TotalMilliseconds;
        _nonces[Convert.ToHexString(nonce)] = (Convert.ToHexString(machineKey), expires);
        return (nonce, expires);
    }

    /// <summary>True if the nonce was issued to this machine key, is unexpired, and was not used before.</summary>
    public bool TryConsume(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> machineKey)
    {
        if (!_nonces.TryRemove(Convert.ToHexString(nonce), out var entry))
        {
            return false;
        }

        return entry.ExpiresAt > _time.GetUtcNow().ToUnixTimeMilliseconds()
            && string.Equals(entry.MachineKey, Convert.ToHexString(machineKey), StringComparison.Ordinal);
    }
}
