namespace MeshPorts.Integration.Tests.Harness;

/// <summary>What a finished command left behind; <see cref="Describe"/> is meant for assertion messages.</summary>
internal sealed record CommandResult(string CommandLine, int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    public string Describe() =>
        $"`{CommandLine}` exited {ExitCode}\n--- stdout ---\n{Tail(Stdout)}\n--- stderr ---\n{Tail(Stderr)}";

    // Failure messages must stay readable even when a command printed megabytes.
    private static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];
}
