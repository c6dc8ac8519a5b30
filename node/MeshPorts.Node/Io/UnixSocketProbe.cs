using System.Net.Sockets;

namespace MeshPorts.Node.Io;

/// <summary>
/// Whether something serves a unix socket: a socket file alone may be left over from a dead process;
/// only an accepted connection means a live server (the UAPI and control sockets both rely on this).
/// </summary>
internal static class UnixSocketProbe
{
    public static bool IsLive(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
