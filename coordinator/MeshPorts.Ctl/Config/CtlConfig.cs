using MeshPorts.Contracts.Transport;
using MeshPorts.Ctl.Transport;

namespace MeshPorts.Ctl.Config;

/// <summary>What meshctl needs to reach the coordinator: where, which certificate, and the admin credential.</summary>
internal sealed class CtlConfig
{
    public CtlConfig(Uri url, CertificatePin pin, string adminToken, string source, string? auditKey = null)
        : this([url], pin, adminToken, source, auditKey)
    {
    }

    /// <param name="urls">Every coordinator replica, primary first (at least one).</param>
    public CtlConfig(IReadOnlyList<Uri> urls, CertificatePin pin, string adminToken, string source, string? auditKey = null)
    {
        ArgumentNullException.ThrowIfNull(urls);
        if (urls.Count == 0)
        {
            throw new ArgumentException("meshctl needs at least one coordinator URL", nameof(urls));
        }

        Urls = urls;
        Pin = pin;
        AdminToken = adminToken;
        Source = source;
        AuditKey = auditKey;
    }

    /// <summary>The primary (first) URL: the channel's address; connections go to the first of <see cref="Urls"/> that answers.</summary>
    public Uri Url => Urls[0];

    /// <summary>Every replica, in the order meshctl tries them.</summary>
    public IReadOnlyList<Uri> Urls { get; }

    public CertificatePin Pin { get; }

    /// <summary>Sent as a bearer credential on every admin call; never printed.</summary>
    public string AdminToken { get; }

    /// <summary>"ed25519:&lt;base64&gt;" that signs audit heads, when the file names it (data dirs made before signed heads do not).</summary>
    public string? AuditKey { get; }

    /// <summary>The file it came from, for error messages.</summary>
    public string Source { get; }
}
