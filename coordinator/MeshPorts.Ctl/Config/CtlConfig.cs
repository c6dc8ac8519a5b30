using MeshPorts.Contracts.Transport;
using MeshPorts.Ctl.Transport;

namespace MeshPorts.Ctl.Config;

/// <summary>What meshctl needs to reach the coordinator: where, which certificate, and the admin credential.</summary>
internal sealed class CtlConfig
{
    public CtlConfig(Uri url, CertificatePin pin, string adminToken, string source, string? auditKey = null)
    {
        Url = url;
        Pin = pin;
        AdminToken = adminToken;
        Source = source;
        AuditKey = auditKey;
    }

    public Uri Url { get; }

    public CertificatePin Pin { get; }

    /// <summary>Sent as a bearer credential on every admin call; never printed.</summary>
    public string AdminToken { get; }

    /// <summary>"ed25519:&lt;base64&gt;" that signs audit heads, when the file names it (data dirs made before signed heads do not).</summary>
    public string? AuditKey { get; }

    /// <summary>The file it came from, for error messages.</summary>
    public string Source { get; }
}
