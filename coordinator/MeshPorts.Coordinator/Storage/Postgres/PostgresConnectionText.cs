using Npgsql;

namespace MeshPorts.Coordinator.Storage.Postgres;

/// <summary>Checks and describes a --store postgres: connection string without ever showing its password.</summary>
internal static class PostgresConnectionText
{
    public const string Example = "postgres:Host=/run/postgresql;Database=meshports;Username=meshports";

    /// <summary>Null if <paramref name="connectionString"/> is a usable Npgsql connection string, else what is wrong, naming the fix.</summary>
    public static string? Problem(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return $"--store postgres: needs an Npgsql connection string, e.g. {Example}";
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            // The message names the keyword, never a value, so no password leaks through it.
            return $"--store postgres: is not an Npgsql connection string ({ex.Message}); write KEY=VALUE pairs separated by ';', e.g. {Example}";
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            return $"--store postgres: names no Host; add Host=NAME or Host=/socket/dir, e.g. {Example}";
        }

        if (string.IsNullOrEmpty(builder.Database))
        {
            return $"--store postgres: names no Database; add Database=NAME (create it first: createdb -O USER NAME), e.g. {Example}";
        }

        return null;
    }

    /// <summary>
    /// A warning when the connection string itself carries the password: the command line of a process is readable
    /// by every local user (/proc/PID/cmdline, ps), and unit files are often world-readable. Null otherwise.
    /// </summary>
    public static string? PasswordWarning(string connectionString) =>
        Problem(connectionString) is null && !string.IsNullOrEmpty(new NpgsqlConnectionStringBuilder(connectionString).Password)
            ? "warning: --store carries Password=, which every local user can read in this process's command line; " +
              "put it in a password file only the coordinator can read (Passfile=/etc/meshports/pgpass in the connection string, " +
              "lines HOST:PORT:DATABASE:USER:PASSWORD, mode 0600) and drop Password="
            : null;

    /// <summary>The connection string with any password replaced, for messages and logs.</summary>
    public static string Redact(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var copy = new NpgsqlConnectionStringBuilder(builder.ConnectionString);
        if (copy.Password is not null)
        {
            copy.Password = "(hidden)";
        }

        return copy.ConnectionString;
    }
}
