namespace MeshPorts.Coordinator.Audit.Shipping;

/// <summary>
/// The --audit-otlp-headers file: one "Name: value" a line (# comments and blank lines skipped), e.g.
/// "Authorization: Bearer ..." or a vendor's API key header. It holds credentials, so it must be readable
/// by its owner only (0600 or 0400), and no value is ever printed or logged.
/// </summary>
internal static class OtlpHeadersFile
{
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public static bool TryLoad(string path, out IReadOnlyList<KeyValuePair<string, string>> headers, out string problem)
    {
        headers = [];
        problem = "";
        if (!File.Exists(path))
        {
            problem = $"--audit-otlp-headers {path}: no such file; write one \"Name: value\" header a line there, mode 0600";
            return false;
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOther) is var open && open != 0)
        {
            problem = $"--audit-otlp-headers {path} is mode {Convert.ToString((int)File.GetUnixFileMode(path), 8).PadLeft(4, '0')}: it holds credentials, so it must be readable by the coordinator's user only; run chmod 600 {path}";
            return false;
        }

        var list = new List<KeyValuePair<string, string>>();
        var lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = colon > 0 ? line[..colon].Trim() : "";
            if (name.Length == 0 || !name.All(IsTokenChar))
            {
                // The line itself is not quoted: it may be a bare secret.
                problem = $"--audit-otlp-headers {path}: line {lineNumber} is not \"Name: value\" (a header name is letters, digits and -)";
                return false;
            }

            list.Add(new(name, line[(colon + 1)..].Trim()));
        }

        headers = list;
        return true;
    }

    // RFC 9110 5.6.2 tchar.
    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);
}
