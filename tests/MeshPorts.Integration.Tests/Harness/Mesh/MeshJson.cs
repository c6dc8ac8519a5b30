using System.Text.Json;

namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>meshctl and `status --json` print camelCase; a document that does not parse is a finding, so it throws with the text.</summary>
internal static class MeshJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static T Parse<T>(string json, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options) ?? throw new FormatException($"{what} printed null:\n{json}");
        }
        catch (JsonException e)
        {
            throw new FormatException($"{what} is not the JSON expected ({e.Message}):\n{json}", e);
        }
    }
}
