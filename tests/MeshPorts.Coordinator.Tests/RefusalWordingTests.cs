using MeshPorts.Coordinator.Services;
using MeshPorts.Coordinator.State;

namespace MeshPorts.Coordinator.Tests;

public sealed class RefusalWordingTests
{
    [Fact]
    public void Refusal_WithFieldAndNextStep_IsWordedInMeshctlTerms()
    {
        var refusal = new StateException(StateError.InvalidArgument, "'ghost': no such node", RequestField.GrantFrom, new NextStep(NextStepKind.ListNodes));
        Assert.Equal("--from 'ghost': no such node; see 'meshctl nodes list'", RefusalWording.Describe(refusal));
    }

    [Fact]
    public void Refusal_WithExample_RepeatsTheOption()
    {
        var refusal = new StateException(StateError.InvalidArgument, "is required and must be positive", RequestField.GrantDuration,
            new NextStep(NextStepKind.Example, "1h"));
        Assert.Equal("--for is required and must be positive, e.g. --for 1h", RefusalWording.Describe(refusal));
    }

    [Fact]
    public void Refusal_WithoutFieldOrStep_IsStatesMessageAlone()
    {
        Assert.Equal("the node was removed", RefusalWording.Describe(new StateException(StateError.Unauthenticated, "the node was removed")));
    }
}
