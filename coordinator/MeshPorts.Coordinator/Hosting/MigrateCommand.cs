using System.Globalization;
using MeshPorts.Contracts.Cli;
using MeshPorts.Coordinator.Audit;
using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Storage.Postgres;
using MeshPorts.Coordinator.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshPorts.Coordinator.Hosting;

/// <summary>
/// meshports-coordinator migrate --from sqlite:PATH --to postgres:CONN: moves a mesh to PostgreSQL without
/// re-enrolling a node. Both databases are brought to the latest schema, every row is copied in one transaction
/// into the (empty) target, and the target's audit chain is checked: the same events with the same hashes, a
/// chain that verifies, and the signed head that covers its last event verifying with the data dir's audit key.
/// </summary>
internal static class MigrateCommand
{
    public const string Usage = """
        usage: meshports-coordinator migrate --from sqlite:PATH --to postgres:CONNSTRING [--data DIR]

          --from sqlite:PATH        the coordinator's SQLite database (stop that coordinator first)
          --to postgres:CONNSTRING  an empty PostgreSQL database, e.g. postgres:Host=/run/postgresql;Database=meshports;Username=meshports
          --data DIR                the coordinator's data dir, for the audit key that signed the head
                                    (default: the directory of PATH)

        Then start the coordinator with the same --data and --store postgres:CONNSTRING.
        """;

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal) { "--from", "--to", "--data" };

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        string from, to, dataDir;
        try
        {
            if (ParseArguments(args) is not { } parsed)
            {
                await output.WriteLineAsync(Usage);
                return 0;
            }

            (from, to, dataDir) = parsed;
        }
        catch (UsageException ex)
        {
            await error.WriteLineAsync("meshports-coordinator migrate: " + ex.Message);
            return 2;
        }

        await using var source = new SqliteStore(from);
        await using var target = new PostgresStore(to);
        try
        {
            await source.InitializeAsync(CancellationToken.None);
            await target.InitializeAsync(CancellationToken.None);
            var copied = await SqliteToPostgresCopy.CopyAsync(source.Database, target.Database, CancellationToken.None);
            await output.WriteLineAsync("copied into " + target.Description + ": " +
                string.Join(", ", copied.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value}"))));

            var (problem, summary) = await CheckAuditAsync(source, target, dataDir);
            if (problem is not null)
            {
                await error.WriteLineAsync($"meshports-coordinator migrate: the copy is committed but its audit log does not check out: {problem}; " +
                    "run meshctl audit verify against the old coordinator, and drop and recreate the target before trying again");
                return 1;
            }

            await output.WriteLineAsync(summary);
            await output.WriteLineAsync($"next: meshports-coordinator --data {dataDir} --store postgres:{target.Description} (and the same on every replica)");
            return 0;
        }
        catch (StoreOpenException ex)
        {
            await error.WriteLineAsync("meshports-coordinator migrate: " + ex.Message);
            return 1;
        }
        catch (InvalidOperationException ex)
        {
            await error.WriteLineAsync("meshports-coordinator migrate: " + ex.Message);
            return 1;
        }
    }

    /// <summary>Null for --help; else the SQLite path, the connection string and the data dir.</summary>
    private static (string From, string To, string DataDir)? ParseArguments(IReadOnlyList<string> args)
    {
        if (LongOptions.Read(args, Known) is not { } pairs)
        {
            return null;
        }

        var values = pairs.ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        if (!values.TryGetValue("--from", out var from) || !values.TryGetValue("--to", out var to))
        {
            throw new UsageException("needs --from sqlite:PATH and --to postgres:CONNSTRING; see migrate --help");
        }

        if (!from.StartsWith(StoreSpec.SqlitePrefix, StringComparison.Ordinal) || StoreSpec.Problem(from) is not null)
        {
            throw new UsageException("--from must be sqlite:PATH, the coordinator.db of the coordinator being moved");
        }

        var path = from[StoreSpec.SqlitePrefix.Length..];
        if (!File.Exists(path))
        {
            throw new UsageException($"--from {from}: no such file; name the coordinator.db in the old coordinator's --data directory");
        }

        if (!to.StartsWith(StoreSpec.PostgresPrefix, StringComparison.Ordinal))
        {
            throw new UsageException($"--to must be postgres:CONNSTRING, e.g. {PostgresConnectionText.Example}");
        }

        if (StoreSpec.Problem(to) is { } problem)
        {
            throw new UsageException(problem.Replace("--store", "--to", StringComparison.Ordinal));
        }

        var dataDir = values.TryGetValue("--data", out var dir) ? dir : Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!File.Exists(Path.Combine(dataDir, AuditSigningKeyFile.FileName)))
        {
            throw new UsageException($"no {AuditSigningKeyFile.FileName} in {dataDir}; pass --data with the old coordinator's data directory");
        }

        return (path, to[StoreSpec.PostgresPrefix.Length..], dataDir);
    }

    /// <summary>
    /// No problem when the target holds the source's events unchanged, the chain verifies and its signed head covers
    /// it; the summary says what was checked.
    /// </summary>
    private static async Task<(string? Problem, string Summary)> CheckAuditAsync(SqliteStore source, PostgresStore target, string dataDir)
    {
        for (var after = 0L; ;)
        {
            var mine = await source.Audit.ListAsync(after, 0, 1000, CancellationToken.None);
            var theirs = await target.Audit.ListAsync(after, 0, 1000, CancellationToken.None);
            if (!mine.SequenceEqual(theirs))
            {
                return (string.Create(CultureInfo.InvariantCulture, $"the events after seq {after} differ between the SQLite and the PostgreSQL database"), "");
            }

            if (mine.Count == 0)
            {
                break;
            }

            after = mine[^1].Seq;
        }

        using var log = new AuditLog(target.Audit, TimeProvider.System, NullLogger.Instance, null,
            AuditSigningKeyFile.LoadOrCreate(dataDir, out _));
        var verification = await log.VerifyAsync();
        if (!verification.Ok)
        {
            return (verification.Problem, "");
        }

        var head = await target.Audit.GetHeadAsync(CancellationToken.None);
        if (log.CheckHead(head, await target.Audit.GetLastAsync(CancellationToken.None)) is { } headProblem)
        {
            return (headProblem, "");
        }

        return (null, head is null
            ? "audit log on the target: empty, nothing to verify"
            : string.Create(CultureInfo.InvariantCulture,
                $"audit chain verified on the target: {verification.Checked} events with the same hashes, the head at event {head.Seq} signed by {log.PublicKeyText}"));
    }
}
