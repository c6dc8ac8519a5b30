using System.Runtime.InteropServices;

namespace MeshPorts.Native.Linux.Tests;

public sealed class LibCResolverTests
{
    [Fact]
    public void FirstNativeCall_InstallsTheLibcResolverForTheAssembly()
    {
        // Any call into libc runs LibC's static constructor, which registers the resolver.
        Assert.Equal(1, Rtnetlink.GetInterfaceIndex("lo"));

        // The runtime allows one resolver per assembly: a second registration proves ours is in place,
        // so "libc" binds to libc.so.6 (or musl's name) rather than the libc.so linker script.
        Assert.Throws<InvalidOperationException>(() =>
            NativeLibrary.SetDllImportResolver(typeof(Rtnetlink).Assembly, (_, _, _) => IntPtr.Zero));
    }
}
