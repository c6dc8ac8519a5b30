using System.Net;
using System.Security.Cryptography;
using System.Text;
using MeshPorts.Contracts.Transport;
using Microsoft.AspNetCore.Http;

namespace MeshPorts.Coordinator.Hosting;

/// <summary>
/// Who may read <c>/metrics</c>. It names nodes (<c>meshports_node_watching{node=...}</c>) and shows who is
/// online, and it shares the TLS port every node and scanner reaches; so a client on another host must send
/// <c>Authorization: Bearer TOKEN</c> with the token in DATA/metrics-token (one line, mode 0600, created on
/// first start; Prometheus reads a copy through <c>credentials_file</c>). A client on this host's loopback
/// needs none, as for the node's metrics. Replicas each keep their own file; copy one to all of them to scrape
/// them with one credential.
/// </summary>
internal sealed class MetricsAccess
{
    public const string FileName = "metrics-token";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const int MinTokenLength = 32;

    // Only the token's SHA-256 is compared, in constant time, so neither its bytes nor its length leak.
    private readonly byte[] _hash;

    private MetricsAccess(string token)
    {
        _hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
    }

    public static MetricsAccess LoadOrCreate(string dataDir, out bool created)
    {
        var path = Path.Combine(dataDir, FileName);
        if (!File.Exists(path))
        {
            created = true;
            var token = "mpm1_" + Base64Url.Encode(RandomNumberGenerator.GetBytes(32));
            var temp = path + ".tmp";
            TlsMaterial.WriteFile(temp, token + "\n", OwnerOnly);
            File.Move(temp, path, overwrite: false);
            return new MetricsAccess(token);
        }

        created = false;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, OwnerOnly);
        }

        var text = File.ReadAllText(path).Trim();
        return text.Length >= MinTokenLength && text.All(c => c > ' ' && c < 0x7f)
            ? new MetricsAccess(text)
            : throw new InvalidOperationException(
                $"{path} must hold one token of at least {MinTokenLength} printable characters; delete it to make a new one (then give Prometheus the new file)");
    }

    /// <summary>True when the request comes from loopback or carries the bearer token.</summary>
    public bool Allows(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote))
        {
            return true;
        }

        return Allows(context.Request.Headers.Authorization.ToString());
    }

    /// <summary>Checks an <c>Authorization</c> header value.</summary>
    public bool Allows(string? authorization)
    {
        const string Scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var offered = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[Scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(offered, _hash);
    }
}
