using MeshPorts.Coordinator.State;

namespace MeshPorts.Coordinator.Services;

/// <summary>
/// Puts State's refusals in the words of the programs that call the coordinator: request fields become meshctl's
/// options (<c>--for</c>, <c>--ttl</c>, ...) and next steps the commands that take them (<c>meshctl nodes
/// remove db</c>). The one place the coordinator speaks a command line's language, so State does not.
/// </summary>
internal static class RefusalWording
{
    public static string Describe(StateException refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        var text = refusal.Field == RequestField.None ? refusal.Message : Option(refusal.Field) + " " + refusal.Message;
        return refusal.Next is { } next ? text + Step(next, refusal.Field) : text;
    }

    /// <summary>The meshctl option that sets <paramref name="field"/>.</summary>
    public static string Option(RequestField field) => field switch
    {
        RequestField.TokenName => "--name",
        RequestField.TokenUser => "--user",
        RequestField.TokenTag => "--tag",
        RequestField.TokenTtl => "--ttl",
        RequestField.TokenUses => "--uses",
        RequestField.GrantFrom => "--from",
        RequestField.GrantTo => "--to",
        RequestField.GrantDuration => "--for",
        _ => "",
    };

    private static string Step(NextStep next, RequestField field) => next.Kind switch
    {
        NextStepKind.ListNodes => "; see 'meshctl nodes list'",
        NextStepKind.ListGrants => "; see 'meshctl grant list'",
        NextStepKind.ListTokens => "; see 'meshctl token list'",
        NextStepKind.RemoveNode => $": meshctl nodes remove {next.Name}",
        NextStepKind.RevokeToken => $": meshctl token revoke {next.Name}",
        NextStepKind.CreateToken => " ('meshctl token create')",
        NextStepKind.CreateTokenWithTtl => " ('meshctl token create --ttl ...')",
        NextStepKind.CreateTokenWithUses => " (or one with --uses N)",
        NextStepKind.RemoveNodeOrRename => $" (meshctl nodes remove {next.Name}) or give you a token with another --name",
        NextStepKind.DropRequestedName => $"; drop --name or ask for a token with --name {next.Name}",
        NextStepKind.TokenTtlCapSetting => " (the coordinator's --max-token-ttl sets the cap)",
        NextStepKind.Example => $", e.g. {Option(field)} {next.Name}",
        NextStepKind.DropUsesOrName => $"; drop --uses {next.Name}, or drop --name for a fleet token (its nodes are named node-1, node-2, ...)",
        _ => "",
    };
}
