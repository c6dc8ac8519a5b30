using System.Diagnostics;
using Npgsql;
using Xunit;

namespace MeshPorts.Tests.Shared;

/// <summary>
/// A real PostgreSQL server of its own in a temporary directory: initdb, then pg_ctl start listening only on a unix
/// socket in that directory (no TCP port to collide on), as the postgres user when the tests run as root (the
/// server refuses to run as root). Each test takes a fresh database. Stopped (immediate) and deleted on dispose,
/// whether the tests passed or not. A server that cannot start fails every test that uses it, saying why.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string Superuser = "postgres";
    private string? _dir;
    private string? _bin;
    private int _databases;

    /// <summary>The socket directory, as Npgsql's Host.</summary>
    public string Host => _dir ?? throw new InvalidOperationException("the server is not started");

    public async Task InitializeAsync()
    {
        _bin = FindBin();
        _dir = Path.Combine("/tmp", "mp-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_dir);
        try
        {
            if (Environment.IsPrivilegedProcess)
            {
                await RunAsync("chown", "postgres:postgres", _dir);
            }

            var data = Path.Combine(_dir, "data");
            await RunAsPostgresAsync(Path.Combine(_bin, "initdb"), "-D", data, "-U", Superuser, "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions");

            // fsync off: a test database need not survive a power cut, and it halves the time of every commit.
            await RunAsPostgresAsync(Path.Combine(_bin, "pg_ctl"), "-D", data, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "60",
                "-o", $"-k {_dir} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c max_connections=200", "start");
        }
        catch (Exception ex)
        {
            var log = Path.Combine(_dir, "server.log");
            var tail = File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(15)) : "(no server log)";
            await DisposeAsync();
            throw new InvalidOperationException($"cannot start a PostgreSQL test server: {ex.Message}\nserver log:\n{tail}", ex);
        }
    }

    /// <summary>Creates an empty database and returns its Npgsql connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"mp_test_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid().ToString("N")[..8]}";
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false"))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name};", connection);
            await command.ExecuteNonQueryAsync();
        }

        return ConnectionString(name);
    }

    public string ConnectionString(string database) => $"Host={Host};Username={Superuser};Database={database}";

    /// <summary>Terminates every backend of <paramref name="database"/>: what a database restart looks like to clients.</summary>
    public async Task TerminateConnectionsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @d AND pid <> pg_backend_pid();", connection);
        command.Parameters.AddWithValue("d", database);
        await command.ExecuteScalarAsync();
    }

    /// <summary>Stops the server (fast: every client is disconnected), waits <paramref name="down"/>, and starts it again with the same options.</summary>
    public async Task RestartAsync(TimeSpan down)
    {
        var data = Path.Combine(Host, "data");
        await RunAsPostgresAsync(Path.Combine(_bin!, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop");
        await Task.Delay(down);
        await RunAsPostgresAsync(Path.Combine(_bin!, "pg_ctl"), "-D", data, "-l", Path.Combine(Host, "server.log"), "-w", "-t", "60",
            "-o", $"-k {Host} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c max_connections=200", "start");
    }

    public async Task DisposeAsync()
    {
        if (_dir is null)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        var data = Path.Combine(_dir, "data");
        if (_bin is not null && File.Exists(Path.Combine(data, "postmaster.pid")))
        {
            try
            {
                await RunAsPostgresAsync(Path.Combine(_bin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop");
            }
            catch (InvalidOperationException)
            {
                // Already gone; the directory still goes.
            }
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }

        _dir = null;
    }

    private static string FindBin()
    {
        var initdb = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb")))
                .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return initdb ?? throw new InvalidOperationException(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install -y postgresql, or run scripts/test.sh, which installs it");
    }

    private static Task RunAsPostgresAsync(string program, params string[] args) =>
        Environment.IsPrivilegedProcess ? RunAsync("runuser", ["-u", "postgres", "--", program, .. args]) : RunAsync(program, args);

    private static async Task RunAsync(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/tmp",
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot run {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {(await stderr).Trim()} {(await stdout).Trim()}");
        }
    }
}
