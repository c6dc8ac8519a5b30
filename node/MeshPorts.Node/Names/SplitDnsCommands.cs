namespace MeshPorts.Node.Names;

/// <summary>
/// The resolvectl(1) command lines that route ~SUFFIX to the node's name server on its interface and undo it.
/// Pure, so what is run is tested where systemd-resolved is not.
/// </summary>
internal static class SplitDnsCommands
{
    public const string Program = "resolvectl";

    /// <summary>
    /// <c>resolvectl dns IF ADDR</c>, then <c>resolvectl domain IF ~SUFFIX</c>: the "~" makes the suffix a
    /// routing-only domain, so only its names go to the node and nothing is added to the search list.
    /// </summary>
    public static IReadOnlyList<string[]> Set(string interfaceName, System.Net.IPAddress server, string suffix)
    {
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        ArgumentNullException.ThrowIfNull(server);
        ArgumentException.ThrowIfNullOrEmpty(suffix);
        return
        [
            ["dns", interfaceName, server.ToString()],
            ["domain", interfaceName, "~" + suffix.Trim('.')],
        ];
    }

    /// <summary><c>resolvectl revert IF</c>: the link's DNS servers and domains back to none.</summary>
    public static string[] Revert(string interfaceName)
    {
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        return ["revert", interfaceName];
    }
}
