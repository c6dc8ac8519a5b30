namespace MeshPorts.Coordinator.State.Access;

/// <summary>The answer to "may FROM reach TARGET:PORT/PROTO at T": what allows it and until when (null = standing).</summary>
internal sealed record AccessDecision(bool Allowed, string AllowedBy, long? Until, string Explanation);
