namespace MeshPorts.Coordinator.State;

/// <summary>
/// The step that gets past a refusal, as a fact (which node, which token) rather than a command, so State needs
/// no command line; the service layer turns it into the words the caller types.
/// </summary>
/// <param name="Kind">What to do.</param>
/// <param name="Name">The node name, token id or name the step is about; empty when it needs none.</param>
internal readonly record struct NextStep(NextStepKind Kind, string Name = "");
