using System.Diagnostics.CodeAnalysis;

namespace MeshPorts.Contracts.Transport;

/// <summary>
/// The coordinator's replicas as clients know them: one or more https://HOST:PORT URLs, the first the primary.
/// Written as a comma-separated list (<c>--public-url</c>, <c>url =</c> in meshctl.conf); parsed here once so
/// the coordinator, meshctl and the node accept and refuse the same things. Every replica serves the same
/// TLS key, so one pin covers them all.
/// </summary>
public static class CoordinatorUrls
{
    /// <summary>Parses "https://a:7443, https://b:7443"; the error names the entry at fault and the fix.</summary>
    public static bool TryParseList(string? text, [NotNullWhen(true)] out IReadOnlyList<Uri>? urls, out string error)
    {
        urls = null;
        var entries = (text ?? "").Split(',', StringSplitOptions.TrimEntries);
        if (entries.All(e => e.Length == 0))
        {
            error = "no URL given; expected https://HOST:PORT, or several separated by commas";
            return false;
        }

        var list = new List<Uri>(entries.Length);
        foreach (var entry in entries)
        {
            if (entry.Length == 0)
            {
                error = $"'{text}' has an empty entry; separate URLs with single commas: https://a:7443,https://b:7443";
                return false;
            }

            if (!TryParseOne(entry, out var url, out error))
            {
                return false;
            }

            if (list.Any(u => SameAuthority(u, url)))
            {
                error = $"{entry} is listed twice; name each replica once";
                return false;
            }

            list.Add(url);
        }

        urls = list;
        error = "";
        return true;
    }

    /// <summary>One replica: https, a host, no path, query, fragment or user info (clients would drop them silently).</summary>
    public static bool TryParseOne(string? text, [NotNullWhen(true)] out Uri? url, out string error)
    {
        url = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text) || !Uri.TryCreate(text, UriKind.Absolute, out var parsed) || string.IsNullOrEmpty(parsed.Host))
        {
            error = $"'{text}' is not a URL; expected https://HOST:PORT";
            return false;
        }

        if (parsed.Scheme != Uri.UriSchemeHttps)
        {
            error = $"{text}: must be https:// (the coordinator serves nothing in plaintext); write https://{parsed.Authority}";
            return false;
        }

        if (parsed.AbsolutePath != "/" || parsed.Query.Length > 0 || parsed.Fragment.Length > 0 || parsed.UserInfo.Length > 0)
        {
            error = $"{text}: a coordinator URL has no path, query or user; write https://{parsed.Authority}";
            return false;
        }

        url = new Uri(parsed.GetLeftPart(UriPartial.Authority));
        error = "";
        return true;
    }

    /// <summary>The list as it is written back: "https://a:7443, https://b:7443".</summary>
    public static string Format(IEnumerable<Uri> urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        return string.Join(", ", urls.Select(u => u.GetLeftPart(UriPartial.Authority)));
    }

    public static bool SameAuthority(Uri a, Uri b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return string.Equals(a.GetLeftPart(UriPartial.Authority), b.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);
    }
}
