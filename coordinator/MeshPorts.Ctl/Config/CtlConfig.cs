using MeshPorts.Ctl.Transport;

namespace MeshPorts.Ctl.Config;

/// <summary>What meshctl needs to reach the coordinator: where, which certificate, and the admin credential.</summary>
internal sealed class CtlConfig
{
    public CtlConfig(Uri url, CertificatePin pin, string adminToken, string source)
    {
        Url = url;
        Pin = pin;
        AdminToken = adminToken;
        Source = source;
    }

    public Uri Url { get; }

    public CertificatePin Pin { get; }

    /// <summary>Sent as a bearer credential on every admin call; never printed.</summary>
    public string AdminToken { get; }

    /// <summary>The file it came from, for error messages.</summary>
    public string Source { get; }
}
