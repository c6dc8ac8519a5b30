namespace MeshPorts.Contracts.Output;

/// <summary>
/// Whether a program may write ANSI colour codes to a stream: only to a terminal, and never when
/// NO_COLOR is set to anything but empty (https://no-color.org), so files and pipes get plain text.
/// </summary>
public static class TerminalColor
{
    public static bool Allowed(bool streamIsTerminal, Func<string, string?> getEnvironment)
    {
        ArgumentNullException.ThrowIfNull(getEnvironment);
        return streamIsTerminal && string.IsNullOrEmpty(getEnvironment("NO_COLOR"));
    }
}
