using MeshPorts.Contracts.Grammar;

namespace MeshPorts.Coordinator.State;

/// <summary>The refusal for a port outside 1-65535, the same wherever a request carries one (grants, exposed services).</summary>
internal static class PortCheck
{
    public static void Require(int port)
    {
        if (!Ports.IsValid(port))
        {
            throw new StateException(StateError.InvalidArgument, FormattableString.Invariant($"port {port} must be 1-65535"));
        }
    }
}
