using Xunit.Abstractions;

namespace MeshPorts.Fuzz.Tests;

/// <summary>
/// CI's form of scripts/fuzz.sh: every committed input, seed or regression, goes through its target
/// (uninstrumented) and must not throw. A crash the fuzzer found stays fixed because its input lives here.
/// </summary>
public class CorpusReplayTests(ITestOutputHelper output)
{
    public static TheoryData<string> Targets => [.. FuzzTargets.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void EveryCorpusInput_RunsThroughItsTarget_WithoutThrowing(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var files = Directory.GetFiles(Path.Combine(CorpusRoot(), name));
        Assert.NotEmpty(files);
        var failures = Replay(target, files);
        output.WriteLine($"{name}: {files.Length} inputs");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void EveryTarget_HasACorpusFolder_AndEveryFolder_ATarget()
    {
        var folders = Directory.GetDirectories(CorpusRoot()).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(FuzzTargets.All.Select(t => t.Name).Order(StringComparer.Ordinal), folders);
    }

    [Fact]
    public void CommittedSeeds_IncludeEverySeedTheTargetsMake()
    {
        // Regenerate with: dotnet tests/MeshPorts.Fuzz/bin/Release/net10.0/MeshPorts.Fuzz.dll seed tests/fuzz-corpus
        foreach (var target in FuzzTargets.All)
        {
            foreach (var (seed, data) in target.Seeds())
            {
                var path = Path.Combine(CorpusRoot(), target.Name, "seed-" + seed);
                Assert.True(File.Exists(path), $"{path} is missing; regenerate the seeds");
                target.Run(data);
            }
        }
    }

    [Fact]
    public void Replay_ReportsAnInputWhoseTargetThrows_ByFileAndException()
    {
        var throwing = new FuzzTarget("throws", "test", d => _ = d.Length > 1 ? throw new InvalidOperationException("boom") : 0, () => []);
        var dir = Directory.CreateTempSubdirectory();
        try
        {
            File.WriteAllBytes(Path.Combine(dir.FullName, "fine"), [1]);
            File.WriteAllBytes(Path.Combine(dir.FullName, "bad"), [1, 2]);
            var failures = Replay(throwing, Directory.GetFiles(dir.FullName));
            var failure = Assert.Single(failures);
            Assert.StartsWith("bad: System.InvalidOperationException: boom", failure);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    private static List<string> Replay(FuzzTarget target, IEnumerable<string> files)
    {
        var failures = new List<string>();
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            try
            {
                target.Run(File.ReadAllBytes(file));
            }
            catch (Exception ex)
            {
                failures.Add($"{Path.GetFileName(file)}: {ex}");
            }
        }

        return failures;
    }

    private static string CorpusRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fuzz-corpus");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/fuzz-corpus not found above " + AppContext.BaseDirectory);
    }
}
