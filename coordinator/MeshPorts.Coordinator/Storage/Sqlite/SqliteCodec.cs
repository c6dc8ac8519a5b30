using Microsoft.Data.Sqlite;

namespace MeshPorts.Coordinator.Storage.Sqlite;

/// <summary>Reading SQLite's dynamically typed columns; the text formats shared with PostgreSQL are in <see cref="ColumnText"/>.</summary>
internal static class SqliteCodec
{
    public static byte[]? BytesOrNull(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : (byte[])reader.GetValue(ordinal);
}
