namespace MeshPorts.Coordinator.State;

/// <summary>The request fields a refusal can be about; the service layer names each as its caller spells it.</summary>
internal enum RequestField
{
    None,
    TokenName,
    TokenUser,
    TokenTag,
    TokenTtl,
    TokenUses,
    GrantFrom,
    GrantTo,
    GrantDuration,
}
