using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MeshPorts.Contracts.Transport;

/// <summary>
/// The SHA-256 of the coordinator certificate's DER SubjectPublicKeyInfo (node.proto's pin format,
/// "sha256:&lt;64 hex&gt;"), the only thing meshctl and the node trust: the certificate is self-signed, so no CA or host
/// name check could vouch for it. Pinning the key rather than the whole certificate lets the coordinator
/// renew the certificate without re-issuing every join string.
/// </summary>
public readonly struct CertificatePin : IEquatable<CertificatePin>
{
    public const int Size = 32;

    private readonly Bytes32 _hash;

    private CertificatePin(ReadOnlySpan<byte> hash)
    {
        hash.CopyTo(_hash);
    }

    public static CertificatePin FromHash(ReadOnlySpan<byte> hash) =>
        hash.Length == Size ? new CertificatePin(hash) : throw new ArgumentException($"a pin is {Size} bytes", nameof(hash));

    public static CertificatePin Of(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var owned = certificate as X509Certificate2 is null ? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()) : null;
        var cert2 = owned ?? (X509Certificate2)certificate;
        Span<byte> hash = stackalloc byte[Size];
        SHA256.HashData(cert2.PublicKey.ExportSubjectPublicKeyInfo(), hash);
        return new CertificatePin(hash);
    }

    /// <summary>
    /// Accepts the spellings a fingerprint is usually copied in: <c>sha256:</c> or <c>sha256/</c> prefixes,
    /// hex with or without colons (openssl x509 -fingerprint), or base64/base64url of the 32 bytes.
    /// </summary>
    public static bool TryParse(string? text, out CertificatePin pin)
    {
        pin = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        foreach (var prefix in (ReadOnlySpan<string>)["sha256:", "sha256/", "sha256=", "SHA256:", "SHA256/", "SHA256="])
        {
            if (s.StartsWith(prefix, StringComparison.Ordinal))
            {
                s = s[prefix.Length..];
                break;
            }
        }

        Span<byte> hash = stackalloc byte[Size];
        var hex = s.Replace(":", string.Empty, StringComparison.Ordinal);
        if (hex.Length == Size * 2 && Convert.FromHexString(hex, hash, out _, out var written) == System.Buffers.OperationStatus.Done && written == Size)
        {
            pin = new CertificatePin(hash);
            return true;
        }

        var b64 = s.Replace('-', '+').Replace('_', '/');
        if (b64.Length == 43)
        {
            b64 += "=";
        }

        if (Convert.TryFromBase64String(b64, hash, out written) && written == Size)
        {
            pin = new CertificatePin(hash);
            return true;
        }

        return false;
    }

    /// <summary>Constant time, so a probing server learns nothing from how long a rejection took.</summary>
    public bool Matches(in CertificatePin other) =>
        CryptographicOperations.FixedTimeEquals(_hash, other._hash);

    public bool Matches(X509Certificate? certificate) => certificate is not null && Matches(Of(certificate));

    public bool Equals(CertificatePin other) => Matches(other);

    public override bool Equals(object? obj) => obj is CertificatePin other && Matches(other);

    /// <summary>A pin is public (it is printed and shared), so hashing its bytes leaks nothing.</summary>
    public override int GetHashCode() => BitConverter.ToInt32(_hash);

    public static bool operator ==(CertificatePin left, CertificatePin right) => left.Matches(right);

    public static bool operator !=(CertificatePin left, CertificatePin right) => !left.Matches(right);

    public override string ToString() => "sha256:" + Convert.ToHexStringLower(_hash);
}
