using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using NSec.Cryptography;

namespace MeshPorts.RelayHost.Join;

/// <summary>
/// Who this relay is to its coordinator, kept in the relay's data directory: DATA/machine.key (base64
/// of the Ed25519 seed, 0600) and DATA/relay.json (coordinator URL and pin, node id and name). The key
/// is written before enrolling, so a relay killed between the two is recognised on its next start.
/// </summary>
internal sealed class RelayIdentity : IDisposable
{
    public const string MachineKeyFile = "machine.key";

    public const string RecordFile = "relay.json";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private RelayIdentity(Key machineKey, RelayRecord? record)
    {
        MachineKey = machineKey;
        Record = record;
    }

    public Key MachineKey { get; }

    public byte[] MachinePublicKey => MachineKey.PublicKey.Export(KeyBlobFormat.RawPublicKey);

    /// <summary>Null until the relay has enrolled.</summary>
    public RelayRecord? Record { get; private set; }

    public static RelayIdentity LoadOrCreate(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var keyPath = Path.Combine(dataDir, MachineKeyFile);
        var seed = new byte[32];
        try
        {
            if (File.Exists(keyPath))
            {
                if (!Convert.TryFromBase64String(File.ReadAllText(keyPath).Trim(), seed, out var written) || written != 32)
                {
                    throw new InvalidOperationException($"{keyPath} is not base64 of a 32-byte Ed25519 seed; delete {dataDir} and join again with a new token");
                }
            }
            else
            {
                RandomNumberGenerator.Fill(seed);
                WriteOwnerOnly(keyPath, Convert.ToBase64String(seed) + "\n");
            }

            var key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
            var recordPath = Path.Combine(dataDir, RecordFile);
            var record = File.Exists(recordPath)
                ? JsonSerializer.Deserialize(File.ReadAllText(recordPath), RelayRecordJson.Default.RelayRecord)
                : null;
            return new RelayIdentity(key, record);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    public void Save(string dataDir, RelayRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        WriteOwnerOnly(Path.Combine(dataDir, RecordFile), JsonSerializer.Serialize(record, RelayRecordJson.Default.RelayRecord) + "\n");
        Record = record;
    }

    public byte[] Sign(ReadOnlySpan<byte> data) => SignatureAlgorithm.Ed25519.Sign(MachineKey, data);

    public void Dispose() => MachineKey.Dispose();

    // A 0600 temp file renamed into place: never readable by others, never half-written.
    private static void WriteOwnerOnly(string path, string text)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>What enrolling told the relay: where its coordinator is, and who it is there.</summary>
/// <param name="TicketKey">The coordinator's relay ticket key (base64) as last told, so a restart while the coordinator is down still checks tickets.</param>
internal sealed record RelayRecord(string CoordinatorUrl, string Pin, string NodeId, string Name, string? TicketKey = null);

[JsonSerializable(typeof(RelayRecord))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
internal sealed partial class RelayRecordJson : JsonSerializerContext;
