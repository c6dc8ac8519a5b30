using System.Globalization;
using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Config;
using MeshPorts.Ctl.Parsing;

namespace MeshPorts.Ctl.Audit;

/// <summary>
/// Keeps <see cref="SeenHead"/> beside the meshctl.conf it belongs to (<c>meshctl.conf.audit-head</c>, mode 0600),
/// so the next <c>audit verify</c> can tell a log that was cut short or rewritten from one that only grew.
/// </summary>
internal static class SeenHeadFile
{
    public const string Suffix = ".audit-head";

    public static string PathFor(string configPath) => configPath + Suffix;

    public static SeenHead? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        // Whoever can write it can make meshctl forget what it saw; it is refused like a loose meshctl.conf.
        ConfigFileReader.CheckPermissions(path);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(path))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (line.TrimStart().StartsWith('#') || eq <= 0)
            {
                continue;
            }

            values[line[..eq].Trim()] = line[(eq + 1)..].Trim();
        }

        if (values.GetValueOrDefault("audit_key") is { } key
            && ulong.TryParse(values.GetValueOrDefault("seq"), NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            && values.GetValueOrDefault("hash") is { Length: 64 } hash
            && TimeParser.TryParse(values.GetValueOrDefault("signed_at"), out var signedAt)
            && TimeParser.TryParse(values.GetValueOrDefault("seen_at"), out var seenAt))
        {
            return new SeenHead(key, seq, hash, signedAt, seenAt);
        }

        throw new CtlException($"{path} is damaged; restore it, or remove it to trust the audit log as it is now");
    }

    public static void Save(string path, SeenHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        var text = string.Create(CultureInfo.InvariantCulture, $"""
            # The last audit head meshctl verified; `meshctl audit verify` checks that the log still holds it.
            audit_key = {head.AuditKey}
            seq = {head.Seq}
            hash = {head.Hash}
            signed_at = {TimeParser.Format(head.SignedAt)}
            seen_at = {TimeParser.Format(head.SeenAt)}

            """);

        // A temp file renamed over the old one: an interrupted save never leaves a half-written head.
        var temp = path + ".tmp";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temp, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(text);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CtlException($"the audit log verified, but its head could not be saved to {path} ({ex.Message}); make that directory writable so the next verify can detect truncation", ex);
        }
    }
}
