using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using MeshPorts.Contracts.Transport;

namespace MeshPorts.Contracts.Join;

/// <summary>
/// The one string a node needs: <c>mpj1_</c> + base64url(UTF-8 JSON <c>{"u":URL,"p":PIN,"s":SECRET}</c>).
/// base64url keeps it one shell word; JSON keeps it extensible (unknown keys are ignored). The coordinator
/// encodes it, the node parses it, here, once.
/// </summary>
public sealed class JoinString
{
    public const string Prefix = "mpj1_";

    private JoinString(Uri url, string pin, string secret)
    {
        Url = url;
        Pin = pin;
        Secret = secret;
    }

    /// <summary>The coordinator's https URL.</summary>
    public Uri Url { get; }

    /// <summary>The certificate pin as written in the string (normally "sha256:&lt;64 hex&gt;").</summary>
    public string Pin { get; }

    /// <summary>The enrollment secret, exactly as it was in the string. Never logged, never stored.</summary>
    public string Secret { get; }

    public static string Encode(Uri url, string pin, string secret)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(pin);
        ArgumentNullException.ThrowIfNull(secret);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("u", url.GetLeftPart(UriPartial.Authority));
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

            join = new JoinString(url, pin, secret);
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
    public override string ToString() => $"join string for {Url.GetLeftPart(UriPartial.Authority)} (pin {Pin})";

    private static string Text(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : "";
}
