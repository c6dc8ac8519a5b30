using MeshPorts.WireGuard;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Device;

// TEMPORARY until the engine-rotation branch lands; instance methods take precedence.
internal static class EngineShim
{
    public static bool ReplacePeerKey(this WireGuardEngine engine, WgKey oldKey, WgKey newKey)
    {
        _ = engine;
        _ = oldKey;
        _ = newKey;
        return false;
    }

    public static void RotatePrivateKey(this WireGuardEngine engine, WgKey key) => engine.SetPrivateKey(key);
}
