using System.Text;
using MeshPorts.Native.Linux.Interop;

namespace MeshPorts.Native.Linux;

/// <summary>The kernel's rules for interface names (dev_valid_name in net/core/dev.c), checked up front so the error says what is wrong.</summary>
internal static class InterfaceName
{
    public static void Validate(string name, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(name, parameterName);
        if (name.Length == 0)
        {
            throw new ArgumentException("An interface name cannot be empty.", parameterName);
        }

        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes >= IfConstants.IFNAMSIZ)
        {
            throw new ArgumentException(
                $"Interface name '{name}' is {bytes} bytes; Linux allows at most {IfConstants.IFNAMSIZ - 1}.", parameterName);
        }

        if (name is "." or "..")
        {
            throw new ArgumentException($"'{name}' is not a valid interface name.", parameterName);
        }

        foreach (var c in name)
        {
            if (c == '/' || c == ':' || char.IsWhiteSpace(c) || char.IsControl(c))
            {
                throw new ArgumentException(
                    $"Interface name '{name}' contains '{c}' (U+{(int)c:X4}); names cannot contain '/', ':' or whitespace.", parameterName);
            }
        }
    }

    /// <summary>Writes the NUL-terminated name into an ifreq.</summary>
    public static void Write(string name, ref IfReq request)
    {
        Span<byte> target = request.Name;
        target.Clear();
        Encoding.UTF8.GetBytes(name, target[..(IfConstants.IFNAMSIZ - 1)]);
    }

    public static string Read(in IfReq request)
    {
        ReadOnlySpan<byte> source = request.Name;
        var end = source.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? source : source[..end]);
    }
}
