using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Access;

/// <summary>Which enrolled nodes a subject stands for: access-side meaning of the shared grammar.</summary>
internal static class SubjectCoverage
{
    /// <summary>Whether <paramref name="subject"/>, read as a pattern, covers <paramref name="node"/> (by name, user or tag).</summary>
    public static bool Covers(this Subject subject, NodeRecord node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return subject.Kind switch
        {
            SubjectKind.Node => node.Name == subject.Name,
            SubjectKind.User => node.User == subject.Name,
            _ => node.Tags.Contains(subject.Name),
        };
    }
}
