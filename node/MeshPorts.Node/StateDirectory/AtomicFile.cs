namespace MeshPorts.Node.StateDirectory;

/// <summary>
/// Replace-by-rename: write DIR/.NAME.tmp (created with the final mode, so the secret is never readable by others
/// even for a moment), fsync it, rename it over NAME, fsync the directory. After a crash at any point the file is
/// either the old one or the new one.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode)
    {
        var directory = Path.GetDirectoryName(path) ?? ".";
        var temp = Path.Combine(directory, "." + Path.GetFileName(path) + ".tmp");

        // A leftover from a crash may carry another mode; UnixCreateMode applies only to a new file.
        File.Delete(temp);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        DirectorySync.Flush(directory);
    }
}
