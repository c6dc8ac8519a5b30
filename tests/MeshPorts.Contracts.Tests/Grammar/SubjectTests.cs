using MeshPorts.Contracts.Grammar;
using Xunit;

namespace MeshPorts.Contracts.Tests.Grammar;

public sealed class SubjectTests
{
    [Theory]
    [InlineData("db1", SubjectKind.Node, "db1")]
    [InlineData("web-2", SubjectKind.Node, "web-2")]
    [InlineData("user:alice", SubjectKind.User, "alice")]
    [InlineData("user:alice@example.com", SubjectKind.User, "alice@example.com")]
    [InlineData("tag:db", SubjectKind.Tag, "db")]
    [InlineData("tag:Team_A.1", SubjectKind.Tag, "Team_A.1")]
    public void TryParse_ValidForms_RoundTripThroughToString(string text, SubjectKind kind, string name)
    {
        Assert.True(Subject.TryParse(text, out var subject, out var error), error);
        Assert.Equal(new Subject(kind, name), subject);
        Assert.Equal(text, subject.ToString());
    }

    [Theory]
    [InlineData("", "node name")]
    [InlineData("-db", "node name")]
    [InlineData("db-", "node name")]
    [InlineData("DB1", "node name")]
    [InlineData("db_1", "node name")]
    [InlineData("user:", "user name")]
    [InlineData("user:a b", "user name")]
    [InlineData("tag:", "tag")]
    [InlineData("tag:Bad Tag", "tag")]
    [InlineData("group:ops", "'group:' is not a subject kind")]
    [InlineData("User:alice", "'User:' is not a subject kind")]
    public void TryParse_Malformed_SaysWhichRuleItBroke(string text, string why)
    {
        Assert.False(Subject.TryParse(text, out _, out var error));
        Assert.Contains(why, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_LongestNamesAreTakenAndOneMoreIsNot()
    {
        Assert.True(Subject.TryParse(new string('a', Names.MaxNodeName), out _, out _));
        Assert.False(Subject.TryParse(new string('a', Names.MaxNodeName + 1), out _, out _));
        Assert.True(Subject.TryParse("tag:" + new string('a', Names.MaxLabel), out _, out _));
        Assert.False(Subject.TryParse("tag:" + new string('a', Names.MaxLabel + 1), out _, out _));
    }

    [Fact]
    public void TryParseTarget_User_IsRefusedBecauseUsersOwnNoPorts()
    {
        Assert.False(Subject.TryParseTarget("user:alice", out _, out var error));
        Assert.Contains("not a user", error, StringComparison.Ordinal);
        Assert.True(Subject.TryParseTarget("tag:db", out var tag, out _));
        Assert.True(tag.IsTarget);
    }
}
