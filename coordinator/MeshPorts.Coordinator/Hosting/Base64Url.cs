namespace MeshPorts.Coordinator.Hosting;

/// <summary>Unpadded base64url (RFC 4648 section 5), the alphabet that survives shells and URLs.</summary>
internal static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> data) => System.Buffers.Text.Base64Url.EncodeToString(data);

    public static bool TryDecode(string text, out byte[] data)
    {
        try
        {
            data = System.Buffers.Text.Base64Url.DecodeFromChars(text);
            return true;
        }
        catch (FormatException)
        {
            data = [];
            return false;
        }
    }
}
