using System.Security.Cryptography;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.StateDirectory;

/// <summary>The key files of the state directory: the machine key and the current and next WireGuard keys.</summary>
internal sealed partial class NodeStateStore
{
    public MachineKey? LoadMachineKey()
    {
        var text = ReadPrivate(MachineKeyFile);
        if (text is null)
        {
            return null;
        }

        var seed = new byte[MachineKey.SeedSize];
        try
        {
            if (!Convert.TryFromBase64String(text.Trim(), seed, out var written) || written != MachineKey.SeedSize)
            {
                throw Malformed(MachineKeyFile, "base64 of a 32-byte Ed25519 seed", "and node.json to enroll again as a new node");
            }

            return MachineKey.FromSeed(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    public MachineKey LoadOrCreateMachineKey()
    {
        EnsureDirectory();
        var existing = LoadMachineKey();
        if (existing is not null)
        {
            return existing;
        }

        var key = MachineKey.Generate();
        var seed = key.ExportSeed();
        try
        {
            WriteSecret(MachineKeyFile, seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }

        return key;
    }

    public WgKey? LoadWireGuardKey() => LoadWgKey(WireGuardKeyFile);

    public WgKey LoadOrCreateWireGuardKey()
    {
        EnsureDirectory();
        if (LoadWgKey(WireGuardKeyFile) is { } existing)
        {
            return existing;
        }

        var key = WgKey.GeneratePrivate();
        SaveWgKey(WireGuardKeyFile, key);
        return key;
    }

    public WgKey? LoadNextWireGuardKey() => LoadWgKey(NextWireGuardKeyFile);

    /// <summary>Persist a new key before announcing it (RotateKey), so a crash in between cannot lose the key peers are told about.</summary>
    public void SaveNextWireGuardKey(WgKey key)
    {
        EnsureDirectory();
        SaveWgKey(NextWireGuardKeyFile, key);
    }

    /// <summary>The rotation finished: the next key becomes the current one by an atomic rename.</summary>
    public void PromoteNextWireGuardKey()
    {
        var next = PathOf(NextWireGuardKeyFile);
        if (!File.Exists(next))
        {
            throw new NodeStateException($"{next} does not exist: there is no rotated-in key to promote");
        }

        File.Move(next, PathOf(WireGuardKeyFile), overwrite: true);
        DirectorySync.Flush(Directory);
    }

    public void DiscardNextWireGuardKey()
    {
        var next = PathOf(NextWireGuardKeyFile);
        if (File.Exists(next))
        {
            File.Delete(next);
            DirectorySync.Flush(Directory);
        }
    }

    private WgKey? LoadWgKey(string fileName)
    {
        var text = ReadPrivate(fileName);
        if (text is null)
        {
            return null;
        }

        return WgKey.TryParseBase64(text.Trim(), out var key) && !key.IsZero
            ? key
            : throw Malformed(fileName, "a base64 WireGuard private key as 'wg genkey' prints it", "to let the node create a new one");
    }

    private void SaveWgKey(string fileName, WgKey key)
    {
        Span<byte> raw = stackalloc byte[WgKey.Size];
        key.CopyTo(raw);
        try
        {
            WriteSecret(fileName, raw);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    /// <summary>Writes base64 + newline, building the text in a buffer that is wiped afterwards.</summary>
    private void WriteSecret(string fileName, ReadOnlySpan<byte> raw)
    {
        var text = new byte[(((raw.Length + 2) / 3) * 4) + 1];
        try
        {
            System.Buffers.Text.Base64.EncodeToUtf8(raw, text, out _, out var written);
            text[written] = (byte)'\n';
            AtomicFile.Write(PathOf(fileName), text.AsSpan(0, written + 1), FileMode);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(text);
        }
    }
}
