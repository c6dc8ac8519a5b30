using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Storage.Sqlite;
using MeshPorts.Coordinator.Tests.Support;
using Microsoft.Data.Sqlite;

namespace MeshPorts.Coordinator.Tests;

public sealed class GrantStoreTests
{
    [Fact]
    public async Task Grants_RoundTripThroughSqlite_AsParsedSubjectsProtocolsAndNodeIds()
    {
        var path = Path.Combine(Path.GetTempPath(), "mp-grants-" + Guid.NewGuid().ToString("N") + ".db");
        try
        {
            using var db = new SqliteDatabase(path);
            await SqliteMigrations.ApplyAsync(db, CancellationToken.None);
            var store = new SqliteGrantStore(db);
            using var audit = TestAudit.Over(new SqliteAuditStore(db));
            GrantRecord[] written =
            [
                new() { Id = "g_node", Subject = Subject.Node("laptop"), Target = Subject.Node("db"), SubjectNodeId = "n_laptop", TargetNodeId = "n_db",
                    Port = 5432, Protocol = PortProtocol.Tcp, CreatedAt = 1, ExpiresAt = 2, Reason = "debugging" },
                new() { Id = "g_user", Subject = Subject.User("alice@example.com"), Target = Subject.Tag("dns"), Port = 53, Protocol = PortProtocol.Udp,
                    CreatedAt = 3, ExpiresAt = 4 },
            ];
            foreach (var grant in written)
            {
                await store.InsertAsync(grant, audit.Event("grant.added", "test", grant.Id, "ok", null), CancellationToken.None);
            }

            var read = await store.ListAsync(CancellationToken.None);

            Assert.Equal(written, read);
            await using var c = new SqliteConnection("Data Source=" + path);
            await c.OpenAsync();
            await using var command = c.CreateCommand();
            command.CommandText = "SELECT subject || ' ' || target || ' ' || protocol FROM grants ORDER BY created_at;";
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<string>();
            while (await reader.ReadAsync())
            {
                rows.Add(reader.GetString(0));
            }

            Assert.Equal(["laptop db tcp", "user:alice@example.com tag:dns udp"], rows);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }
}
