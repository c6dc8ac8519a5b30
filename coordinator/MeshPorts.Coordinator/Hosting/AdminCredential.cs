using System.Security.Cryptography;
using System.Text;
using MeshPorts.Contracts.Transport;

namespace MeshPorts.Coordinator.Hosting;

/// <summary>
/// The admin bearer secret. Only its SHA-256 is kept server-side (DATA/admin.sha256); the secret itself
/// is written once into DATA/meshctl.conf (0600) for meshctl and never again. On first start both files
/// are written by <see cref="WritePending"/> once the coordinator listens, so a script that waits for
/// meshctl.conf can use it at once.
/// </summary>
internal sealed class AdminCredential
{
    private readonly byte[] _hash;
    private string? _pendingConf;

    private AdminCredential(byte[] hash, string? pendingConf = null)
    {
        _hash = hash;
        _pendingConf = pendingConf;
    }

    /// <summary>Created by this start and not yet written: <see cref="WritePending"/> does that.</summary>
    public bool Pending => _pendingConf is not null;

    /// <summary>Loads the stored hash, or on first start creates a secret (written later by <see cref="WritePending"/>).</summary>
    /// <param name="auditKey">"ed25519:&lt;base64&gt;" of the audit signing key, so meshctl can check signed heads from the start.</param>
    /// <param name="publicUrls">Every replica, primary first: written as one comma-separated <c>url =</c> line (meshctl tries them in order).</param>
    /// <param name="urlGuessed">No --public-url was given: the file says the URL is a guess, and how to set it.</param>
    public static AdminCredential LoadOrCreate(string dataDir, IReadOnlyList<Uri> publicUrls, bool urlGuessed, string pin, string auditKey, out bool created)
    {
        ArgumentNullException.ThrowIfNull(publicUrls);
        var publicUrl = publicUrls[0];
        var hashPath = Path.Combine(dataDir, "admin.sha256");
        if (File.Exists(hashPath))
        {
            created = false;
            return new AdminCredential(Convert.FromHexString(File.ReadAllText(hashPath).Trim()));
        }

        var secret = "mpa1_" + Base64Url.Encode(RandomNumberGenerator.GetBytes(32));
        var hash = Hash(secret);
        var guessNote = urlGuessed
            ? $"""
            # The url below is a guess from this machine's name ({publicUrl.Host}): the coordinator was started
            # without --public-url. If meshctl or nodes elsewhere cannot resolve it, restart the coordinator with
            # --public-url https://HOST:PORT and edit the url here (meshctl and nodes check the certificate by its pin,
            # so the one made now keeps working).

            """
            : "";
        var conf = $"""
            # meshctl configuration written by meshports-coordinator on first start.
            # It holds the admin credential: keep it mode 0600.
            # url: every coordinator replica, comma-separated, primary first; meshctl tries them in order.
            {guessNote}url = {CoordinatorUrls.Format(publicUrls)}
            pin = {pin}
            token = {secret}
            audit_key = {auditKey}

            """;
        created = true;
        return new AdminCredential(hash, conf);
    }

    /// <summary>
    /// After the listener is up: meshctl.conf first, then admin.sha256, each atomically. A crash in between
    /// leaves no hash, so the next start makes a new secret and writes both again; the other order could lock
    /// the admin out for good.
    /// </summary>
    public void WritePending(string dataDir)
    {
        if (_pendingConf is not { } conf)
        {
            return;
        }

        const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        TlsMaterial.WriteFileAtomically(Path.Combine(dataDir, "meshctl.conf"), conf, Owner);
        TlsMaterial.WriteFileAtomically(Path.Combine(dataDir, "admin.sha256"), Convert.ToHexStringLower(_hash) + "\n", Owner);
        _pendingConf = null;
    }

    /// <summary>
    /// The url line of an existing DATA/meshctl.conf when it names other URLs than <paramref name="publicUrls"/>
    /// (the file is written once: a data dir copied to start replicas keeps the first list), else null.
    /// </summary>
    public static string? WrittenUrlDiffers(string dataDir, IReadOnlyList<Uri> publicUrls)
    {
        ArgumentNullException.ThrowIfNull(publicUrls);
        var path = Path.Combine(dataDir, "meshctl.conf");
        if (!File.Exists(path))
        {
            return null;
        }

        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (!line.StartsWith("url", StringComparison.Ordinal) || line.IndexOf('=', StringComparison.Ordinal) is not (> 0 and var eq) || line[..eq].Trim() != "url")
            {
                continue;
            }

            var written = line[(eq + 1)..].Trim();
            return CoordinatorUrls.TryParseList(written, out var urls, out _)
                && urls.Count == publicUrls.Count && urls.Zip(publicUrls).All(p => CoordinatorUrls.SameAuthority(p.First, p.Second))
                ? null
                : written;
        }

        return null;
    }

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>Compares hashes in constant time, so timing says nothing about the secret.</summary>
    public bool Matches(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Hash(presented), _hash);
    }
}
