using Tmds.Linux;

namespace MeshPorts.Node.StateDirectory;

/// <summary>fsync(2) on a directory, which makes a rename in it durable; .NET has no managed way to open a directory.</summary>
internal static class DirectorySync
{
    public static unsafe void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var path = System.Text.Encoding.UTF8.GetBytes(directory + "\0");
        int fd;
        fixed (byte* p = path)
        {
            fd = LibC.open(p, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC);
        }

        if (fd < 0)
        {
            throw new IOException($"cannot open {directory} to sync it (errno {LibC.errno})");
        }

        try
        {
            if (LibC.fsync(fd) != 0)
            {
                throw new IOException($"fsync of {directory} failed (errno {LibC.errno})");
            }
        }
        finally
        {
            _ = LibC.close(fd);
        }
    }
}
