using Makaretu.Dns;

namespace MeshPorts.Node.Tests.Names;

/// <summary>Queries and replies in the wire format, built and read with the same package the node uses.</summary>
internal static class DnsQueries
{
    public static byte[] Query(string name, DnsType type = DnsType.A, ushort id = 4242)
    {
        var message = new Message { Id = id, RD = true };
        message.Questions.Add(new Question { Name = name, Type = type, Class = DnsClass.IN });
        return message.ToByteArray();
    }

    public static Message Read(byte[] bytes)
    {
        var message = new Message();
        message.Read(bytes, 0, bytes.Length);
        return message;
    }
}
