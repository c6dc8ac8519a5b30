using System.Text.Json;
using MeshPorts.Contracts.Audit;
using MeshPorts.Contracts.Transport;
using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Transport;

namespace MeshPorts.Ctl.Config;

/// <summary>
/// Reads meshctl.conf: <c>key = value</c> lines with <c>#</c> comments (or one JSON object), keys
/// <c>url</c>, <c>pin</c> and <c>token</c>. Common spellings of those keys are accepted, since the file is
/// written by the coordinator and sometimes by hand. <c>url</c> lists every replica on one line,
/// comma-separated, primary first (in JSON also an array); a second <c>url</c> line is refused, so a file
/// edited into two lines is not read as one coordinator.
/// </summary>
internal static class ConfigFileReader
{
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public static CtlConfig Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        CheckPermissions(path);

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CtlException($"cannot read {path}: {ex.Message}; run meshctl as a user who can read it", ex);
        }

        return Parse(text, path);
    }

    /// <summary>The file holds the admin credential: anyone who can read it is an admin, so refuse it like ssh refuses a loose key.</summary>
    public static void CheckPermissions(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOther) != 0)
        {
            var octal = Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
            throw new CtlException(
                $"{path} is accessible by group/others (mode {octal}) and holds the admin credential; run 'chmod 600 {path}'");
        }
    }

    public static CtlConfig Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = text.TrimStart().StartsWith('{') ? ParseJson(text, source) : ParseLines(text, source);

        string? url = null, pin = null, token = null, auditKey = null;
        foreach (var (key, value) in entries)
        {
            switch (Normalize(key))
            {
                case "url" or "urls" or "coordinator" or "coordinatorurl" or "coordinatorurls" or "server" or "publicurl" or "endpoint":
                    url = url is null
                        ? value
                        : throw new CtlException($"{source} names the url twice ('{url}' and '{value}'); list every replica on one line: url = {url}, {value}");
                    break;
                case "pin" or "certificatepin" or "certpin" or "tlspin" or "certsha256" or "fingerprint" or "certificatesha256":
                    pin = value;
                    break;
                case "token" or "admintoken" or "credential" or "admincredential" or "adminkey" or "apikey" or "secret":
                    token = value;
                    break;
                case "auditkey" or "auditsigningkey":
                    auditKey = value;
                    break;
                default:
                    // Unknown keys are ignored so a newer coordinator can add fields without breaking older meshctl.
                    break;
            }
        }

        if (string.IsNullOrEmpty(url))
        {
            throw new CtlException($"{source} has no 'url = https://HOST:7443'; add it or copy the coordinator's DATA/meshctl.conf again");
        }

        if (!CoordinatorUrls.TryParseList(url, out var urls, out var urlProblem))
        {
            throw new CtlException($"{source}: url {urlProblem}");
        }

        if (!CertificatePin.TryParse(pin, out var parsedPin))
        {
            throw new CtlException(
                $"{source}: {(pin is null ? "no 'pin'" : $"pin '{pin}' is not a SHA-256 fingerprint")}; copy the fingerprint the coordinator printed on first start");
        }

        if (string.IsNullOrEmpty(token))
        {
            throw new CtlException($"{source} has no admin 'token'; copy the coordinator's DATA/meshctl.conf again");
        }

        if (auditKey is not null && !AuditHeadSignature.TryParseKey(auditKey, out _))
        {
            throw new CtlException($"{source}: audit_key '{auditKey}' is not ed25519:<base64 of 32 bytes>; copy the key the coordinator printed at start");
        }

        return new CtlConfig(urls, parsedPin, token, source, auditKey);
    }

    private static string Normalize(string key) =>
        key.Trim().Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal)
            .Replace(".", string.Empty, StringComparison.Ordinal).ToLowerInvariant();

    private static List<KeyValuePair<string, string>> ParseLines(string text, string source)
    {
        var list = new List<KeyValuePair<string, string>>();
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';' or '[')
            {
                continue;
            }

            // The first of '=' and ':' separates, so "url: https://h:7443" and "pin = sha256:..." both work.
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var sep = eq < 0 ? colon : colon < 0 ? eq : Math.Min(eq, colon);
            if (sep <= 0)
            {
                throw new CtlException($"{source}:{lineNumber}: expected 'key = value'; fix the line or copy the coordinator's DATA/meshctl.conf again");
            }

            var value = line[(sep + 1)..].Trim();
            if (value.Length >= 2 && value[0] is '"' or '\'' && value[^1] == value[0])
            {
                value = value[1..^1];
            }

            list.Add(new(line[..sep], value));
        }

        return list;
    }

    private static List<KeyValuePair<string, string>> ParseJson(string text, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var list = new List<KeyValuePair<string, string>>();
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.String)
                {
                    list.Add(new(property.Name, property.Value.GetString()!));
                }
                else if (property.Value.ValueKind == JsonValueKind.Array && property.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
                {
                    // "url": ["https://a:7443", "https://b:7443"] is the JSON spelling of the comma list.
                    list.Add(new(property.Name, string.Join(",", property.Value.EnumerateArray().Select(e => e.GetString()))));
                }
            }

            return list;
        }
        catch (JsonException ex)
        {
            throw new CtlException($"{source} is not valid JSON ({ex.Message}); fix it or copy the coordinator's DATA/meshctl.conf again", ex);
        }
    }
}
