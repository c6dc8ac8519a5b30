namespace MeshPorts.Coordinator.State;

/// <summary>Steps a refusal can point to.</summary>
internal enum NextStepKind
{
    /// <summary>Look up the enrolled nodes.</summary>
    ListNodes,

    /// <summary>Look up the grants.</summary>
    ListGrants,

    /// <summary>Look up the join tokens.</summary>
    ListTokens,

    /// <summary>An admin removes the node <see cref="NextStep.Name"/>.</summary>
    RemoveNode,

    /// <summary>An admin revokes the token <see cref="NextStep.Name"/>.</summary>
    RevokeToken,

    /// <summary>An admin creates a new join token.</summary>
    CreateToken,

    /// <summary>An admin creates a new join token with a longer lifetime.</summary>
    CreateTokenWithTtl,

    /// <summary>An admin creates a new join token with more uses.</summary>
    CreateTokenWithUses,

    /// <summary>An admin removes the enrolled node <see cref="NextStep.Name"/> or gives a token with another name.</summary>
    RemoveNodeOrRename,

    /// <summary>The node stops asking for a name, or asks for a token naming it <see cref="NextStep.Name"/>.</summary>
    DropRequestedName,

    /// <summary>The cap is the coordinator's token lifetime setting.</summary>
    TokenTtlCapSetting,

    /// <summary>Set the refused field to a value like <see cref="NextStep.Name"/>.</summary>
    Example,

    /// <summary>A named token is single-use: drop the <see cref="NextStep.Name"/> uses asked for, or the name.</summary>
    DropUsesOrName,
}
