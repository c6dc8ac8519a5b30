using MeshPorts.Coordinator.Storage.Postgres;
using MeshPorts.Coordinator.Storage.Sqlite;

namespace MeshPorts.Coordinator.Storage;

/// <summary>The --store value: sqlite:PATH (one file, the default) or postgres:CONNSTRING (shared by replicas).</summary>
internal static class StoreSpec
{
    public const string SqlitePrefix = "sqlite:";
    public const string PostgresPrefix = "postgres:";

    /// <summary>Null if <paramref name="spec"/> names a store, else what is wrong, naming the fix.</summary>
    public static string? Problem(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.StartsWith(SqlitePrefix, StringComparison.Ordinal))
        {
            return spec.Length > SqlitePrefix.Length
                ? null
                : "--store sqlite: needs a path, e.g. sqlite:/var/lib/meshports-coordinator/coordinator.db";
        }

        if (spec.StartsWith(PostgresPrefix, StringComparison.Ordinal))
        {
            return PostgresConnectionText.Problem(spec[PostgresPrefix.Length..]);
        }

        // Never echo the value: it may be a connection string with a password and a mistyped prefix.
        return $"--store: expected sqlite:PATH or postgres:CONNSTRING (e.g. {PostgresConnectionText.Example})";
    }

    /// <summary>The store <paramref name="spec"/> names (checked by <see cref="Problem"/> first).</summary>
    public static IStore Create(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.StartsWith(PostgresPrefix, StringComparison.Ordinal)
            ? new PostgresStore(spec[PostgresPrefix.Length..])
            : new SqliteStore(spec[SqlitePrefix.Length..]);
    }

    /// <summary>A warning about how the store is named (a PostgreSQL password on the command line), or null.</summary>
    public static string? Warning(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.StartsWith(PostgresPrefix, StringComparison.Ordinal) ? PostgresConnectionText.PasswordWarning(spec[PostgresPrefix.Length..]) : null;
    }

    /// <summary>What to call the store in messages: the SQLite path, or the connection string without its password.</summary>
    public static string Describe(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.StartsWith(PostgresPrefix, StringComparison.Ordinal) && PostgresConnectionText.Problem(spec[PostgresPrefix.Length..]) is null
            ? PostgresPrefix + PostgresConnectionText.Redact(new Npgsql.NpgsqlConnectionStringBuilder(spec[PostgresPrefix.Length..]))
            : spec.StartsWith(SqlitePrefix, StringComparison.Ordinal) ? spec : "(unrecognised --store)";
    }
}
