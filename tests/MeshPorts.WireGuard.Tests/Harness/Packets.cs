namespace MeshPorts.WireGuard.Tests.Harness;

internal static class Packets
{
    /// <summary>A recognisable fake IP packet; the engine does not parse IP, the device does.</summary>
    public static byte[] Make(int length, byte seed)
    {
        var packet = new byte[length];
        for (var i = 0; i < length; i++)
        {
            packet[i] = (byte)(seed + (i * 7));
        }

        return packet;
    }
}
