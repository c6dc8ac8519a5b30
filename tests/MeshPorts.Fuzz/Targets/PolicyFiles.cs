using System.Text;
using MeshPorts.Coordinator.State.Policy;

namespace MeshPorts.Fuzz.Targets;

/// <summary>Policy files, as an admin uploads them (`meshctl policy set`) to the coordinator.</summary>
internal static class PolicyFiles
{
    public static FuzzTarget Target { get; } = new(
        "policy",
        "an admin: meshctl policy set FILE (coordinator PolicyParser)",
        Run,
        Seeds);

    private static void Run(ReadOnlySpan<byte> data)
    {
        var text = Encoding.UTF8.GetString(data);
        PolicyParser.Parse(text, []);
        foreach (var line in text.Split('\n', 8))
        {
            try
            {
                PolicyParser.ParseFlow(line);
            }
            catch (FormatException)
            {
                // ParseFlow's contract: Parse turns this into the line's error.
            }
        }
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        string[] files =
        [
            "# comment\nrule web-to-db: tag:web -> tag:db:5432/tcp\ntest allow web-1 -> db-1:5432/tcp\n",
            "rule dns: user:alice -> node:dns-1:53/udp\ntest deny user:bob -> tag:db:5432/tcp at 2030-01-01T00:00:00Z\n",
            "rule a: * -> tag:x:1-65535/tcp\nrule a: tag:y -> tag:x:0/tcp\n",
            "rule : ->\ntest\ntest maybe a -> b:1/icmp at yesterday\nrule x: tag: -> tag::/\n",
        ];
        for (var i = 0; i < files.Length; i++)
        {
            yield return ($"file-{i}", Encoding.UTF8.GetBytes(files[i]));
        }
    }
}
