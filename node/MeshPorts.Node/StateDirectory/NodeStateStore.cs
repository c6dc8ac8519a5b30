using System.Text;
using System.Text.Json;

namespace MeshPorts.Node.StateDirectory;

/// <summary>
/// The node's state directory (default /var/lib/meshports/IFNAME), mode 0700. Files, each mode 0600 and replaced
/// atomically (a kill -9 at any moment leaves the old or the new file, never a torn one):
/// <list type="bullet">
/// <item><c>machine.key</c>: base64 of the 32-byte Ed25519 seed, one line (the node's identity).</item>
/// <item><c>wireguard.key</c>: the current WireGuard private key, base64 as <c>wg genkey</c> prints it.</item>
/// <item><c>wireguard.next.key</c>: a key being rotated in; written before RotateKey, promoted after the switch.</item>
/// <item><c>node.json</c>: the <see cref="EnrollmentRecord"/> (no secrets; the join secret is never stored).</item>
/// </list>
/// Keys (machine.key, wireguard.key, wireguard.next.key) are read and written in NodeStateStore.Keys.cs.
/// </summary>
internal sealed partial class NodeStateStore
{
    public const string MachineKeyFile = "machine.key";
    public const string WireGuardKeyFile = "wireguard.key";
    public const string NextWireGuardKeyFile = "wireguard.next.key";
    public const string EnrollmentFile = "node.json";
    public const string NetmapCacheFile = "netmap.cache";

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public NodeStateStore(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
    }

    public string Directory { get; }

    public static string DefaultDirectory(string interfaceName) => Path.Combine("/var/lib/meshports", interfaceName);

    public string PathOf(string fileName) => Path.Combine(Directory, fileName);

    /// <summary>Creates the directory 0700, or tightens an existing one to 0700: it holds the node's private keys.</summary>
    public void EnsureDirectory()
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                // No POSIX modes to set; the daemon is Linux-first and Windows relies on the ProgramData ACLs.
                System.IO.Directory.CreateDirectory(Directory);
            }
            else if (!System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.CreateDirectory(Directory, DirectoryMode);
            }
            else if ((File.GetUnixFileMode(Directory) & GroupOrOther) != 0)
            {
                File.SetUnixFileMode(Directory, DirectoryMode);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NodeStateException($"cannot create the state directory {Directory}: {ex.Message}; run as root or pass --state DIR", ex);
        }
    }

    public EnrollmentRecord? LoadEnrollment()
    {
        var text = ReadPrivate(EnrollmentFile);
        if (text is null)
        {
            return null;
        }

        EnrollmentRecord? record;
        try
        {
            record = JsonSerializer.Deserialize(text, NodeStateJsonContext.Default.EnrollmentRecord);
        }
        catch (JsonException ex)
        {
            throw new NodeStateException(
                $"{PathOf(EnrollmentFile)} is malformed ({ex.Message}); fix it or delete it to enroll again (machine.key is kept)", ex);
        }

        if (record is null || !Uri.TryCreate(record.CoordinatorUrl, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps
            || string.IsNullOrEmpty(record.Pin))
        {
            throw new NodeStateException(
                $"{PathOf(EnrollmentFile)} lacks an https coordinatorUrl or a pin; fix it or delete it to enroll again (machine.key is kept)");
        }

        foreach (var replica in record.CoordinatorUrls ?? [])
        {
            if (!Contracts.Transport.CoordinatorUrls.TryParseOne(replica, out _, out var problem))
            {
                throw new NodeStateException(
                    $"{PathOf(EnrollmentFile)}: coordinatorUrls has a bad entry ({problem}); fix it or delete it to enroll again (machine.key is kept)");
            }
        }

        return record;
    }

    public void SaveEnrollment(EnrollmentRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        EnsureDirectory();
        var json = JsonSerializer.SerializeToUtf8Bytes(record, NodeStateJsonContext.Default.EnrollmentRecord);
        AtomicFile.Write(PathOf(EnrollmentFile), json, FileMode);
    }

    /// <summary>
    /// The last mesh state applied (a serialized WatchEvent carrying a snapshot), base64, 0600. No
    /// secrets, but it says who may reach this node, so it is as private as the rest of the directory.
    /// </summary>
    public void SaveNetmapCache(ReadOnlySpan<byte> snapshot)
    {
        EnsureDirectory();
        AtomicFile.Write(PathOf(NetmapCacheFile), System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(snapshot)), FileMode);
    }

    /// <summary>The cached mesh state, or null when there is none or it is unreadable (it is only a cache).</summary>
    public byte[]? LoadNetmapCache()
    {
        try
        {
            var text = ReadPrivate(NetmapCacheFile);
            return text is null ? null : Convert.FromBase64String(text.Trim());
        }
        catch (Exception ex) when (ex is FormatException or NodeStateException)
        {
            return null;
        }
    }

    /// <summary>Reads a state file, refusing it (like ssh refuses a loose key) when group or others can reach it.</summary>
    private string? ReadPrivate(string fileName)
    {
        var path = PathOf(fileName);
        if (!File.Exists(path))
        {
            return null;
        }

        var mode = OperatingSystem.IsWindows() ? FileMode : File.GetUnixFileMode(path);
        if ((mode & GroupOrOther) != 0)
        {
            var octal = Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
            throw new NodeStateException($"{path} is accessible by group/others (mode {octal}); run 'chmod 600 {path}'");
        }

        try
        {
            return File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NodeStateException($"cannot read {path}: {ex.Message}; run as root or pass --state DIR", ex);
        }
    }

    private NodeStateException Malformed(string fileName, string expected, string deleteToDo)
    {
        var path = PathOf(fileName);
        return new NodeStateException($"{path} is malformed (expected {expected}); delete {path} {deleteToDo}");
    }
}
