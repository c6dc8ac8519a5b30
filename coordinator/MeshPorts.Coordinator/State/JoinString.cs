using System.Text;
using System.Text.Json;
using MeshPorts.Coordinator.Hosting;

namespace MeshPorts.Coordinator.State;

/// <summary>
/// The one string a node needs: <c>mpj1_</c> + base64url(UTF-8 JSON <c>{"u":URL,"p":PIN,"s":SECRET}</c>).
/// base64url keeps it one shell word; JSON keeps it extensible (unknown keys are ignored).
/// </summary>
internal static class JoinString
{
    public const string Prefix = "mpj1_";

    public static string Encode(Uri url, string pin, string secret)
    {
        ArgumentNullException.ThrowIfNull(url);
        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["u"] = url.GetLeftPart(UriPartial.Authority),
            ["p"] = pin,
            ["s"] = secret,
        });
        return Prefix + Base64Url.Encode(json);
    }

    /// <summary>Decodes a join string; the error names what is wrong with it.</summary>
    public static bool TryDecode(string? text, out Uri? url, out string pin, out string secret, out string error)
    {
        url = null;
        pin = secret = "";
        text = text?.Trim();
        if (string.IsNullOrEmpty(text) || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            error = "a join string starts with 'mpj1_'; copy the whole string printed by 'meshctl token create'";
            return false;
        }

        if (!Base64Url.TryDecode(text[Prefix.Length..], out var bytes))
        {
            error = "the join string is damaged (not base64url); copy it again in one piece";
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(bytes));
            var root = doc.RootElement;
            var u = root.TryGetProperty("u", out var ue) ? ue.GetString() : null;
            pin = root.TryGetProperty("p", out var pe) ? pe.GetString() ?? "" : "";
            secret = root.TryGetProperty("s", out var se) ? se.GetString() ?? "" : "";
            if (!Uri.TryCreate(u, UriKind.Absolute, out url) || url.Scheme != Uri.UriSchemeHttps || pin.Length == 0 || secret.Length == 0)
            {
                error = "the join string lacks its URL, pin or secret; create a new one with 'meshctl token create'";
                return false;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or DecoderFallbackException)
        {
            error = "the join string is damaged (bad JSON); copy it again in one piece";
            return false;
        }

        error = "";
        return true;
    }
}
