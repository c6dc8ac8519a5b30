namespace MeshPorts.Ctl.Cli;

/// <summary>A command's spec and the handler that runs it.</summary>
internal sealed class CommandEntry(CommandSpec spec, Func<CommandContext, Task<int>> run)
{
    public CommandSpec Spec { get; } = spec;

    public Func<CommandContext, Task<int>> Run { get; } = run;
}
