using MeshPorts.Ctl.Tests.EndToEnd;
using Xunit;

namespace MeshPorts.Ctl.Tests.Cli;

/// <summary>The generated completion scripts, run in real bash and zsh (scripts/lib/deps.sh installs both).</summary>
public sealed class CompletionTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Theory]
    [InlineData("", "token nodes grant keys policy access audit completion --help --version")]
    [InlineData("gr", "grant")]
    [InlineData("token ", "create list revoke")]
    [InlineData("nodes l", "list")]
    [InlineData("audit ", "verify --since --type --config --follow --json --help")]
    [InlineData("grant add --", "--from --to --for --reason --config --json --help")]
    [InlineData("keys rotate --a", "--all")]
    [InlineData("completion ", "bash zsh --config --json --help")]
    [InlineData("token create --ttl ", "")]
    public async Task Bash_CompletesCommandsSubcommandsAndFlags(string line, string expected)
    {
        var script = await ScriptAsync("bash");
        var (words, current) = Words(line);
        var result = await RunAsync("bash", $"""
            source {script}
            COMP_WORDS=({words}); COMP_CWORD={current}
            _meshctl
            printf '%s\n' "${"{"}COMPREPLY[@]{"}"}"
            """);
        Assert.Equal(Sorted(expected), Sorted(result));
    }

    [Theory]
    [InlineData("", "token nodes grant keys policy access audit completion --help --version")]
    [InlineData("token ", "create list revoke")]
    [InlineData("audit ", "verify --since --type --config --follow --json --help")]
    [InlineData("grant add --", "--from --to --for --reason --config --json --help")]
    [InlineData("policy apply ", "FILES --config --json --help")]
    [InlineData("token create --ttl ", "")]
    public async Task Zsh_CompletesCommandsSubcommandsAndFlags(string line, string expected)
    {
        var script = await ScriptAsync("zsh");

        // compadd and _files work only inside a completion widget; stand-ins print what they were given,
        // so the generated _meshctl runs unchanged and its choice is visible. zsh's compadd filters by the
        // typed prefix itself, so the expected lists here are unfiltered.
        var (words, current) = Words(line);
        var result = await RunAsync("zsh", $$"""
            compadd() { [[ $1 == -- ]] && shift; print -l -- "$@" }
            _files() { print -- FILES }
            source {{script}}
            words=({{words}}); CURRENT={{current + 1}}
            _meshctl
            """);
        Assert.Equal(Sorted(expected), Sorted(result));
    }

    [Fact]
    public async Task Zsh_ScriptRegistersWithCompinit()
    {
        var script = await ScriptAsync("zsh");
        var result = await RunAsync("zsh", $"""
            autoload -Uz compinit && compinit -u -d {_dir.Path}/zcompdump
            source {script}
            print -- $_comps[meshctl]
            """);
        Assert.Equal("_meshctl", result.Trim());
    }

    [Fact]
    public async Task UnknownShell_ExitsTwoNamingTheShellsItKnows()
    {
        var run = await CtlRun.RunAsync(new FakeAdminApi(), "completion", "fish");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("unknown shell 'fish'", run.Err);
        Assert.Contains("bash and zsh", run.Err);
        Assert.Contains("source <(meshctl completion bash)", run.Err);
    }

    [Fact]
    public async Task TheRealBinary_PrintsAScriptBashCanSource()
    {
        var result = await ProcessRunner.RunAsync(Binaries.Meshctl, ["completion", "bash"]);
        Assert.Equal(0, result.ExitCode);
        var script = _dir.File("real.bash", result.Out);
        var reply = await RunAsync("bash", $"""
            source {script}
            COMP_WORDS=(meshctl nodes ''); COMP_CWORD=2
            _meshctl
            printf '%s\n' "${"{"}COMPREPLY[@]{"}"}"
            """);
        Assert.Equal(Sorted("list show remove"), Sorted(reply));
    }

    public void Dispose() => _dir.Dispose();

    private async Task<string> ScriptAsync(string shell)
    {
        var run = await CtlRun.RunAsync(new FakeAdminApi(), "completion", shell);
        Assert.True(run.ExitCode == 0, run.Err);
        return _dir.File("meshctl." + shell, run.Out);
    }

    /// <summary>"grant add --" as a quoted word array and the index of the last (current) word.</summary>
    private static (string Words, int Current) Words(string line)
    {
        var words = ("meshctl " + line).Split(' ');
        return (string.Join(' ', words.Select(w => "'" + w + "'")), words.Length - 1);
    }

    private static async Task<string> RunAsync(string shell, string script)
    {
        ProcessResult result;
        try
        {
            result = await ProcessRunner.RunAsync(shell, ["-c", script]);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{shell} is not installed: run 'apt-get install {shell}' (scripts/lib/deps.sh lists it)", ex);
        }

        Assert.True(result.ExitCode == 0, $"{shell} -c failed: {result}");
        Assert.True(result.Err.Length == 0, $"{shell} wrote to stderr: {result.Err}");
        return result.Out;
    }

    private static string[] Sorted(string words) =>
        words.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToArray();
}
