using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MeshPorts.Contracts.Transport;

/// <summary>
/// The coordinator's TLS identity: an ECDSA P-256 key and a self-signed certificate kept in DATA/tls/.
/// Clients trust it only through <see cref="Pin"/>: SHA-256 of the DER SubjectPublicKeyInfo, so the
/// pin survives re-issuing the certificate for the same key.
/// </summary>
public sealed class TlsMaterial : IDisposable
{
    private TlsMaterial(X509Certificate2 certificate, bool created)
    {
        Certificate = certificate;
        Created = created;
        Pin = ComputePin(certificate);
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>True when this start generated the key (first start).</summary>
    public bool Created { get; }

    /// <summary>"sha256:" + lowercase hex of SHA-256(SPKI).</summary>
    public string Pin { get; }

    public static string ComputePin(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    public static TlsMaterial LoadOrCreate(string dataDir, Uri publicUrl, TimeProvider time, string commonName = "meshports-coordinator") =>
        LoadOrCreate(dataDir, [publicUrl], time, commonName);

    /// <param name="publicUrls">Every URL clients use (replicas share the key): each host goes into the SAN of a new certificate.</param>
    public static TlsMaterial LoadOrCreate(string dataDir, IReadOnlyList<Uri> publicUrls, TimeProvider time, string commonName = "meshports-coordinator")
    {
        ArgumentNullException.ThrowIfNull(publicUrls);
        ArgumentNullException.ThrowIfNull(time);
        var dir = Path.Combine(dataDir, "tls");
        var certPath = Path.Combine(dir, "cert.pem");
        var keyPath = Path.Combine(dir, "key.pem");
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            return new TlsMaterial(Load(certPath, keyPath), created: false);
        }

        Directory.CreateDirectory(dir);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var host in publicUrls.Select(u => u.IdnHost.Trim('[', ']')).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(host, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(host);
            }
        }

        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = time.GetUtcNow();
        using var cert = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));

        // The key is written first with 0600 from creation, so it is never readable by others, even briefly.
        WriteFile(keyPath, key.ExportPkcs8PrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        WriteFile(certPath, cert.ExportCertificatePem(), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return new TlsMaterial(Load(certPath, keyPath), created: true);
    }

    private static X509Certificate2 Load(string certPath, string keyPath)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certPath, keyPath);

        // Round-trip through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    public static void WriteFile(string path, string contents, UnixFileMode mode)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(contents);
        }

        if (!OperatingSystem.IsWindows())
        {
            // UnixCreateMode applies only to new files (and is masked by umask); force the mode either way.
            File.SetUnixFileMode(path, mode);
        }
    }

    /// <summary>
    /// Writes <paramref name="path"/> so a reader sees either nothing or the whole file, never a part: a temporary
    /// file beside it, created with <paramref name="mode"/> (0600 before the first byte of a secret), flushed to
    /// disk, then renamed over the path.
    /// </summary>
    public static void WriteFileAtomically(string path, string contents, UnixFileMode mode)
    {
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(stream.SafeFileHandle, mode);
                }

                using var writer = new StreamWriter(stream);
                writer.Write(contents);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public void Dispose() => Certificate.Dispose();
}
