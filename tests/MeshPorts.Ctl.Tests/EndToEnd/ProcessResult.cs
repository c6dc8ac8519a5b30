namespace MeshPorts.Ctl.Tests.EndToEnd;

/// <summary>What a finished meshctl process left behind.</summary>
internal sealed record ProcessResult(int ExitCode, string Out, string Err)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Out}\nstderr: {Err}";
}
