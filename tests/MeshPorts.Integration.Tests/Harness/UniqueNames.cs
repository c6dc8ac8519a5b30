using System.Globalization;
using System.Security.Cryptography;

namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// Names for namespaces and interfaces. Namespaces carry the owning test process id so the sweeper
/// can tell leftovers of a dead run from those of a run still going; interface names stay within
/// IFNAMSIZ-1 (15) characters and are unique machine-wide, because /var/run/wireguard is shared by
/// every namespace.
/// </summary>
internal static class UniqueNames
{
    public const string NamespacePrefix = "mpit-";
    public const string InterfacePrefix = "mpit";

    public static string Namespace(string role) =>
        string.Create(CultureInfo.InvariantCulture, $"{NamespacePrefix}{Environment.ProcessId}-{Random(4)}-{role}");

    /// <summary>"mpit" + 8 hex characters: 12 characters, under the kernel's 15.</summary>
    public static string Interface() => InterfacePrefix + Random(8);

    /// <summary>The process id embedded by <see cref="Namespace"/>, or null for a name it did not make.</summary>
    public static int? OwnerPid(string namespaceName)
    {
        if (!namespaceName.StartsWith(NamespacePrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = namespaceName[NamespacePrefix.Length..];
        var dash = rest.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && int.TryParse(rest.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    private static string Random(int hexChars) =>
        Convert.ToHexStringLower(RandomNumberGenerator.GetBytes((hexChars + 1) / 2))[..hexChars];
}
