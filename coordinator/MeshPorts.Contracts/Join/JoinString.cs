using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using MeshPorts.Contracts.Transport;

namespace MeshPorts.Contracts.Join;

/// <summary>
/// The one string a node needs: <c>mpj1_</c> + base64url(UTF-8 JSON <c>{"u":URL,"r":[URL...],"p":PIN,"s":SECRET}</c>).
/// base64url keeps it one shell word; JSON keeps it extensible (unknown keys are ignored). The coordinator
/// encodes it, the node parses it, here, once.
/// </summary>
/// <remarks>
/// Replicas: <c>u</c> is the primary URL and <c>r</c> (absent with one replica) lists the others in order.
/// This stays safe for parsers older than <c>r</c>: they ignore the unknown key and take <c>u</c>, which is
/// always a real replica serving the same pinned key and database, so an old node joins the right mesh and
/// only lacks failover. Putting the list in <c>u</c> (or a new prefix) would instead make old nodes refuse
/// every new string with a misleading "damaged" or "not mpj1_" error.
/// </remarks>
public sealed class JoinString
{
    public const string Prefix = "mpj1_";

    private JoinString(IReadOnlyList<Uri> urls, string pin, string secret)
    {
        Urls = urls;
        Pin = pin;
        Secret = secret;
    }

    /// <summary>The primary coordinator URL (the first of <see cref="Urls"/>).</summary>
    public Uri Url => Urls[0];

    /// <summary>Every replica's URL, primary first; at least one, no duplicates.</summary>
    public IReadOnlyList<Uri> Urls { get; }

    /// <summary>The certificate pin as written in the string (normally "sha256:&lt;64 hex&gt;").</summary>
    public string Pin { get; }

    /// <summary>The enrollment secret, exactly as it was in the string. Never logged, never stored.</summary>
    public string Secret { get; }

    public static string Encode(Uri url, string pin, string secret) => Encode([url], pin, secret);

    /// <param name="urls">Every replica, primary first.</param>
    public static string Encode(IReadOnlyList<Uri> urls, string pin, string secret)
    {
        ArgumentNullException.ThrowIfNull(urls);
        ArgumentNullException.ThrowIfNull(pin);
        ArgumentNullException.ThrowIfNull(secret);
        if (urls.Count == 0)
        {
            throw new ArgumentException("a join string names at least one coordinator URL", nameof(urls));
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("u", urls[0].GetLeftPart(UriPartial.Authority));
            if (urls.Count > 1)
            {
                json.WriteStartArray("r");
                foreach (var replica in urls.Skip(1))
                {
                    json.WriteStringValue(replica.GetLeftPart(UriPartial.Authority));
                }

                json.WriteEndArray();
            }

            json.WriteString("p", pin);
            json.WriteString("s", secret);
            json.WriteEndObject();
        }

        return Prefix + System.Buffers.Text.Base64Url.EncodeToString(buffer.ToArray());
    }

    /// <summary>
    /// The node's parse: a join string it can use, or a <see cref="FormatException"/> whose message names the fix.
    /// Stricter than <see cref="TryDecode"/>: the pin must be a SHA-256 fingerprint.
    /// </summary>
    public static JoinString Parse(string? text)
    {
        if (!TryDecode(text, out var join, out var error))
        {
            throw new FormatException(error);
        }

        if (!CertificatePin.TryParse(join.Pin, out _))
        {
            throw new FormatException(
                $"the join string's pin '{join.Pin}' is not a SHA-256 fingerprint; create a new one with 'meshctl token create'");
        }

        return join;
    }

    /// <summary>Decodes a join string; the error names what is wrong with it.</summary>
    public static bool TryDecode(string? text, [NotNullWhen(true)] out JoinString? join, out string error)
    {
        join = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text) || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            error = "a join string starts with 'mpj1_'; copy the whole string printed by 'meshctl token create'";
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = System.Buffers.Text.Base64Url.DecodeFromChars(text.AsSpan(Prefix.Length));
        }
        catch (FormatException)
        {
            error = "the join string is damaged (not base64url); copy it again in one piece";
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            var u = Text(root, "u");
            var pin = Text(root, "p");
            var secret = Text(root, "s");
            if (!Uri.TryCreate(u, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps || pin.Length == 0 || secret.Length == 0)
            {
                error = "the join string lacks its URL, pin or secret (or the URL is not https://); create a new one with 'meshctl token create'";
                return false;
            }

            if (!TryReplicas(root, url, out var urls, out error))
            {
                return false;
            }

            join = new JoinString(urls, pin, secret);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or DecoderFallbackException)
        {
            error = "the join string is damaged (bad JSON); copy it again in one piece";
            return false;
        }

        error = "";
        return true;
    }

    /// <summary>Names the coordinator and pin, never the secret, so the object is safe in logs and exceptions.</summary>
    public override string ToString() => $"join string for {CoordinatorUrls.Format(Urls)} (pin {Pin})";

    /// <summary>The primary, then "r"'s entries: each a valid replica URL, repeats dropped.</summary>
    private static bool TryReplicas(JsonElement root, Uri primary, out IReadOnlyList<Uri> urls, out string error)
    {
        var list = new List<Uri> { new(primary.GetLeftPart(UriPartial.Authority)) };
        urls = list;
        error = "";
        if (!root.TryGetProperty("r", out var replicas))
        {
            return true;
        }

        if (replicas.ValueKind != JsonValueKind.Array)
        {
            error = "the join string's replica list is not a list; create a new one with 'meshctl token create'";
            return false;
        }

        foreach (var entry in replicas.EnumerateArray())
        {
            var problem = "not a string";
            if (entry.ValueKind != JsonValueKind.String || !CoordinatorUrls.TryParseOne(entry.GetString(), out var url, out problem))
            {
                error = $"the join string names a bad replica URL ({problem}); create a new one with 'meshctl token create'";
                return false;
            }

            if (!list.Any(u => CoordinatorUrls.SameAuthority(u, url)))
            {
                list.Add(url);
            }
        }

        return true;
    }

    private static string Text(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : "";
}
