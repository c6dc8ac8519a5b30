using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography;

namespace MeshPorts.Node.Io;

/// <summary>
/// Binds a unix socket so that it appears at its path with its final mode. bind(2) creates the file as
/// 0777 &amp; ~umask and .NET has no per-thread umask, so a chmod after bind leaves a window in which any
/// local user could connect. Instead the socket is bound inside a fresh 0700 directory next to the
/// target, given its mode there, and renamed into place: rename keeps the inode, so clients connect to
/// the same socket, and nobody but the owner could reach it before.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal static class UnixSocketFile
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <param name="afterBind">For tests: called right after bind(2).</param>
    public static void Bind(Socket listener, string path, UnixFileMode mode, Action? afterBind = null)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;

        // Unguessable, so nobody can have made it first; CreateDirectory would take an existing one.
        var staging = Path.Combine(directory, $".{Path.GetFileName(path)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");
        if (Directory.Exists(staging))
        {
            throw new IOException($"{staging} already exists; remove it and start again");
        }

        Directory.CreateDirectory(staging, PrivateDirectory);
        try
        {
            File.SetUnixFileMode(staging, PrivateDirectory);
            var bound = Path.Combine(staging, "s");
            listener.Bind(new UnixDomainSocketEndPoint(bound));
            afterBind?.Invoke();
            File.SetUnixFileMode(bound, mode);

            // A stale file at the path was removed by the caller; overwrite anyway, rename(2) is atomic.
            File.Move(bound, path, overwrite: true);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }
}
