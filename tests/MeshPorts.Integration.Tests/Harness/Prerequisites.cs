namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// The integration tests need root, /dev/net/tun and network namespaces. CI has all three, so a
/// missing one is a failure that says how to fix it, never a silent skip.
/// </summary>
internal static class Prerequisites
{
    public static void Require()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new InvalidOperationException("integration tests need Linux network namespaces; run them on Linux (CI does)");
        }

        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("integration tests create network namespaces and TUN devices: run them as root (sudo scripts/test.sh)");
        }

        if (!File.Exists("/dev/net/tun"))
        {
            throw new InvalidOperationException("/dev/net/tun is missing: `mkdir -p /dev/net && mknod /dev/net/tun c 10 200` (scripts/lib/deps.sh does it)");
        }
    }

    /// <summary>
    /// The NAT lab (Harness/Nat) builds its routers with `nft` and forgets mappings with `conntrack`.
    /// Missing either is a failure naming the packages, never a skip.
    /// </summary>
    public static void RequireNatTools()
    {
        string[] missing = [.. new[] { "nft", "conntrack" }.Where(tool => FindOnPath(tool) is null)];
        if (missing.Length > 0)
        {
            throw new InvalidOperationException(
                $"the NAT lab needs {string.Join(" and ", missing)}: `apt-get install nftables conntrack` (scripts/lib/deps.sh installs them)");
        }
    }

    /// <summary>The node metrics test scrapes with `curl`, as a Prometheus-less operator would.</summary>
    public static void RequireCurl()
    {
        if (FindOnPath("curl") is null)
        {
            throw new InvalidOperationException("the node metrics test scrapes with curl: `apt-get install curl` (scripts/lib/deps.sh installs it)");
        }
    }

    /// <summary>The names test asks with `dig`, as a person would.</summary>
    public static void RequireDig()
    {
        if (FindOnPath("dig") is null)
        {
            throw new InvalidOperationException("the names test asks with dig: `apt-get install bind9-dnsutils` (scripts/lib/deps.sh installs it)");
        }
    }

    private static string? FindOnPath(string program)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        IEnumerable<string> directories = [.. path.Split(':', StringSplitOptions.RemoveEmptyEntries), "/usr/sbin", "/sbin"];
        return directories.Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
    }
}
