namespace MeshPorts.Coordinator.Options;

/// <summary>The --dns-suffix grammar: dot-separated labels of 1-63 [a-z0-9-], not starting or ending with '-', 253 at most in all.</summary>
internal static class DnsSuffixes
{
    public const string Default = "mesh";

    /// <summary>Lowercases and drops one trailing dot; false with a problem that names the fix.</summary>
    public static bool TryNormalize(string text, out string suffix, out string problem)
    {
        suffix = "";
        var value = text.Trim().ToLowerInvariant();
        if (value.EndsWith('.'))
        {
            value = value[..^1];
        }

        if (value.Length is 0 or > 253)
        {
            problem = $"'{text}': give a DNS name of 1-253 characters, e.g. --dns-suffix mesh or --dns-suffix corp.internal";
            return false;
        }

        foreach (var label in value.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' || !label.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                problem = $"'{text}': label '{label}' is not 1-63 letters, digits or '-' (not at its start or end); write e.g. --dns-suffix mesh";
                return false;
            }
        }

        suffix = value;
        problem = "";
        return true;
    }
}
