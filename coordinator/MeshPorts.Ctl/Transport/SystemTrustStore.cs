using System.Runtime.InteropServices;

namespace MeshPorts.Ctl.Transport;

/// <summary>
/// meshctl trusts the coordinator by its pin alone, yet SslStream builds an X509Chain before it asks the pin
/// callback, and on Linux that first build reads every certificate under /etc/ssl/certs (tens of ms, most of
/// a NativeAOT meshctl's run; .NET builds it even with a custom root store). Pointing OpenSSL's
/// SSL_CERT_FILE/SSL_CERT_DIR at /dev/null leaves that chain empty; the pin decides, as it always did.
/// </summary>
internal static partial class SystemTrustStore
{
    /// <summary>What both variables are set to: not a regular file nor a directory, so nothing is read.</summary>
    public const string Nothing = "/dev/null";

    /// <summary>
    /// Call first thing in Main, before any thread could read the environment: .NET reads these through
    /// the C library's getenv, which Environment.SetEnvironmentVariable does not reach, hence setenv.
    /// </summary>
    public static void Skip()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        _ = SetEnv("SSL_CERT_FILE", Nothing, 1);
        _ = SetEnv("SSL_CERT_DIR", Nothing, 1);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
