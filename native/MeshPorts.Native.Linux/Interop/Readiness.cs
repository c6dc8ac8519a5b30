namespace MeshPorts.Native.Linux.Interop;

/// <summary>Why a wait for a non-blocking fd ended.</summary>
internal enum Readiness
{
    /// <summary>The fd can be read or written now (or has an error the next call will report).</summary>
    Ready,

    /// <summary>The wake-up eventfd fired: the owner is closing or replacing the fd.</summary>
    WokenUp,
}
