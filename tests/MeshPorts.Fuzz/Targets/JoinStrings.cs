using System.Text;
using MeshPorts.Contracts.Join;

namespace MeshPorts.Fuzz.Targets;

/// <summary>Join strings, as a user pastes them into `meshports-node up --join` (whoever handed them one).</summary>
internal static class JoinStrings
{
    public static FuzzTarget Target { get; } = new(
        "join",
        "a local user / whoever sent the join string: meshports-node up --join (MeshPorts.Contracts JoinString)",
        Run,
        Seeds);

    private static void Run(ReadOnlySpan<byte> data)
    {
        var text = Encoding.UTF8.GetString(data);
        JoinString.TryDecode(text, out _, out _);
        try
        {
            JoinString.Parse(text);
        }
        catch (FormatException)
        {
            // Parse's contract: a FormatException whose message names the fix.
        }
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        const string Pin = "sha256:" + "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12";
        yield return ("one-url", Encoding.UTF8.GetBytes(JoinString.Encode(new Uri("https://coord.example:8443"), Pin, "s3cret")));
        yield return ("two-urls", Encoding.UTF8.GetBytes(JoinString.Encode([new Uri("https://a.example"), new Uri("https://[2001:db8::1]:443")], "x", "y")));
        yield return ("prefix-only", "mpj1_"u8.ToArray());
        yield return ("not-json", Encoding.UTF8.GetBytes("mpj1_" + Convert.ToBase64String("[1,2,{"u8.ToArray()).TrimEnd('=')));
        yield return ("wrong-types", Encoding.UTF8.GetBytes("mpj1_" + Convert.ToBase64String("{\"u\":[1],\"p\":{},\"s\":null}"u8.ToArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_')));
    }
}
