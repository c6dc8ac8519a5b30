using MeshPorts.Ctl.Tests.EndToEnd;
using Xunit;

namespace MeshPorts.Ctl.Tests.Cli;

/// <summary>The generated completion scripts, run in real bash and zsh (scripts/lib/deps.sh installs both).</summary>
public sealed class CompletionTests : IDisposable
{
    private readonly TempDir _dir = new();

    /// <summary>A command line up to the cursor, and every candidate meshctl offers there before the shell filters by the typed prefix.</summary>
    public static TheoryData<string, string> Lines => new()
    {
        { "", "token nodes grant keys policy access audit completion --help --version" },
        { "gr", "token nodes grant keys policy access audit completion --help --version" },
        { "token ", "create list revoke" },
        { "nodes l", "list show remove" },
        { "audit ", "verify --since --type --config --follow --json --help" },
        { "grant add --", "--from --to --for --reason --config --json --help" },
        { "keys rotate --a", "--node --config --all --json --help" },
        { "completion ", "bash zsh --config --json --help" },
        { "policy apply ", "policy.txt --config --json --help" },
        { "nodes list --config ", "policy.txt" },
        { "token create --ttl ", "" },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public async Task Bash_CompletesCommandsSubcommandsAndFlags(string line, string offered)
    {
        var script = await ScriptAsync("bash");
        var (words, current, typed) = Words(line);
        var result = await RunAsync("bash", $"""
            source {script}
            cd {FilesDir()}
            COMP_WORDS=({words}); COMP_CWORD={current}
            _meshctl
            printf '%s\n' "${"{"}COMPREPLY[@]{"}"}"
            """);

        // compgen keeps only what starts with the typed word.
        Assert.Equal(Sorted(offered).Where(w => w.StartsWith(typed, StringComparison.Ordinal)), Sorted(result));
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public async Task Zsh_CompletesCommandsSubcommandsAndFlags(string line, string offered)
    {
        var script = await ScriptAsync("zsh");

        // compadd and _files work only inside a completion widget; stand-ins print what they were given
        // (zsh's compadd filters by the typed prefix itself), so the generated _meshctl runs unchanged.
        var (words, current, _) = Words(line);
        var result = await RunAsync("zsh", $$"""
            compadd() { [[ $1 == -- ]] && shift; print -l -- "$@" }
            _files() { print -l -- * }
            source {{script}}
            cd {{FilesDir()}}
            words=({{words}}); CURRENT={{current + 1}}
            _meshctl
            """);
        Assert.Equal(Sorted(offered), Sorted(result));
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

    /// <summary>"grant add --" as a quoted word array, the index of the last (current) word, and that word.</summary>
    private static (string Words, int Current, string Typed) Words(string line)
    {
        var words = ("meshctl " + line).Split(' ');
        return (string.Join(' ', words.Select(w => "'" + w + "'")), words.Length - 1, words[^1]);
    }

    /// <summary>A directory holding one file, policy.txt, where file names are completed.</summary>
    private string FilesDir()
    {
        var file = _dir.File("files/policy.txt", "");
        return Path.GetDirectoryName(file)!;
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
