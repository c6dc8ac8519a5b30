using MeshPorts.Contracts.Cli;

namespace MeshPorts.Node.Cli;

/// <summary>The kernel's rules for interface names, checked before anything is created.</summary>
internal static class InterfaceNames
{
    // IFNAMSIZ (16, <linux/if.h>) includes the terminating NUL.
    private const int MaxInterfaceNameLength = 15;

    public static void Validate(string name)
    {
        if (name.Length is 0 or > MaxInterfaceNameLength)
        {
            throw new UsageException($"interface name '{name}' must be 1 to {MaxInterfaceNameLength} characters (the kernel's IFNAMSIZ)");
        }

        foreach (var c in name)
        {
            if (c is '/' or ':' or '%' || char.IsWhiteSpace(c) || c < 0x21 || c > 0x7e)
            {
                throw new UsageException($"interface name '{name}' may not contain '{c}'; use letters, digits, '-', '_' or '.'");
            }
        }

        if (name is "." or "..")
        {
            throw new UsageException($"interface name '{name}' is reserved; pick another, e.g. wg0");
        }
    }
}
