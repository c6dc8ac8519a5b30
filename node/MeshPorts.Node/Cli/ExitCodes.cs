namespace MeshPorts.Node.Cli;

/// <summary>PRODUCT.md: 0 success; 1 operation failed; 2 usage error.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
}
