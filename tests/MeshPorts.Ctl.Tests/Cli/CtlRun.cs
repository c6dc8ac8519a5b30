using MeshPorts.Ctl.Cli;
using Microsoft.Extensions.Time.Testing;

namespace MeshPorts.Ctl.Tests.Cli;

/// <summary>Runs meshctl in-process against a fake API and captures what it prints.</summary>
internal sealed class CtlRun
{
    public int ExitCode { get; private init; }

    public string Out { get; private init; } = string.Empty;

    public string Err { get; private init; } = string.Empty;

    public static async Task<CtlRun> RunAsync(FakeAdminApi api, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();

        // No config exists in this environment: a command that got past validation reaches the fake, never a file.
        var code = await CtlApp.RunAsync(
            args, output, error, name => name == "HOME" ? "/nonexistent" : null, new FakeTimeProvider(FakeAdminApi.Now),
            CancellationToken.None, _ => api);
        return new CtlRun { ExitCode = code, Out = output.ToString(), Err = error.ToString() };
    }
}
