using System.Text;
using System.Text.Json;
using MeshPorts.Contracts.Time;
using Xunit;

namespace MeshPorts.Ctl.Tests.Output;

public sealed class UtcTimeJsonConverterTests
{
    [Theory]
    [InlineData(2026, 11, 29, 9, 31, 44, 730, "\"2026-11-29T09:31:44.730Z\"")]
    [InlineData(2026, 11, 29, 9, 31, 44, 0, "\"2026-11-29T09:31:44Z\"")]
    public void Write_KeepsMillisecondsOnlyWhenThereAreAny(int y, int mo, int d, int h, int mi, int s, int ms, string expected)
    {
        var time = new DateTimeOffset(y, mo, d, h + 2, mi, s, ms, TimeSpan.FromHours(2));
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            new UtcTimeJsonConverter().Write(writer, time.ToOffset(TimeSpan.Zero), new JsonSerializerOptions());
        }

        Assert.Equal(expected, Encoding.UTF8.GetString(buffer.ToArray()));
    }

    [Fact]
    public void Read_OfWrite_IsTheSameInstant()
    {
        var time = new DateTimeOffset(2026, 11, 29, 9, 31, 44, 731, TimeSpan.Zero);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            new UtcTimeJsonConverter().Write(writer, time, new JsonSerializerOptions());
        }

        var reader = new Utf8JsonReader(buffer.ToArray());
        reader.Read();
        Assert.Equal(time, new UtcTimeJsonConverter().Read(ref reader, typeof(DateTimeOffset), new JsonSerializerOptions()));
    }
}
