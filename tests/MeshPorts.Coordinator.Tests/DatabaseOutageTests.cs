using Grpc.Core;
using MeshPorts.Coordinator.Services;
using Npgsql;

namespace MeshPorts.Coordinator.Tests;

/// <summary>
/// Which database failures a caller is told to retry (UNAVAILABLE) and which are real errors. A PostgreSQL
/// restart ends the statements in flight with admin_shutdown, which Npgsql does not call transient: CI once saw
/// a grant call fail as INTERNAL that way in the middle of a restart.
/// </summary>
public sealed class DatabaseOutageTests
{
    [Theory]
    [InlineData("57P01")] // admin_shutdown: pg_ctl stop -m fast, a restart, a failover
    [InlineData("57P02")] // crash_shutdown: another backend crashed and the server reset
    [InlineData("57P05")] // idle_session_timeout
    [InlineData("57P03")] // cannot_connect_now: starting up (Npgsql's own transient list)
    [InlineData("08006")] // connection_failure
    public void ServerEndingTheSession_IsAnOutage(string sqlState)
    {
        var ex = new PostgresException("terminating connection", "FATAL", "FATAL", sqlState);
        Assert.True(ErrorInterceptor.IsDatabaseOutage(ex));
    }

    [Theory]
    [InlineData("23505")] // unique_violation
    [InlineData("42P01")] // undefined_table: a schema problem is not fixed by retrying
    [InlineData("57P04")] // database_dropped
    [InlineData("28P01")] // invalid_password
    public void RealErrors_AreNotOutages(string sqlState)
    {
        Assert.False(ErrorInterceptor.IsDatabaseOutage(new PostgresException("no", "ERROR", "ERROR", sqlState)));
    }

    [Fact]
    public void AnOutage_WrappedInAnotherException_IsStillAnOutage()
    {
        var inner = new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01");
        Assert.True(ErrorInterceptor.IsDatabaseOutage(new InvalidOperationException("commit failed", inner)));
        Assert.True(ErrorInterceptor.IsDatabaseOutage(new AggregateException(inner)));
        Assert.True(ErrorInterceptor.IsDatabaseOutage(new NpgsqlException("Exception while reading from stream", new IOException("reset"))));
    }

    [Fact]
    public void OtherExceptions_AreNotOutages()
    {
        Assert.False(ErrorInterceptor.IsDatabaseOutage(new InvalidOperationException("bug")));
        Assert.False(ErrorInterceptor.IsDatabaseOutage(null));
    }

    [Fact]
    public async Task TheInterceptor_TurnsAnAdminShutdownIntoUnavailable_NamingTheDatabase()
    {
        var interceptor = new ErrorInterceptor();
        var ex = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>(
            "request", null!, (_, _) => throw new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01")));
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Contains("cannot reach its database", ex.Status.Detail, StringComparison.Ordinal);
    }
}
