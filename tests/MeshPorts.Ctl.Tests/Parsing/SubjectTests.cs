using MeshPorts.Contracts.Cli;
using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Parsing;
using Xunit;

namespace MeshPorts.Ctl.Tests.Parsing;

public class SubjectTests
{
    [Theory]
    [InlineData("db1", "Node", "db1")]
    [InlineData("web-2", "Node", "web-2")]
    [InlineData("user:alice", "User", "alice")]
    [InlineData("user:alice@example.com", "User", "alice@example.com")]
    [InlineData("tag:db", "Tag", "db")]
    public void Parse_ValidForms_GiveKindAndName(string text, string kind, string name)
    {
        var subject = OptionText.Subject("--from", text);
        Assert.Equal(kind, subject.Kind.ToString());
        Assert.Equal(name, subject.Name);
        Assert.Equal(text, subject.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("-db")]
    [InlineData("DB1")]
    [InlineData("db_1")]
    [InlineData("user:")]
    [InlineData("tag:")]
    [InlineData("tag:Bad Tag")]
    [InlineData("group:ops")]
    [InlineData("user:a b")]
    public void Parse_Malformed_IsUsageErrorNamingTheForms(string text)
    {
        var ex = Assert.Throws<UsageException>(() => OptionText.Subject("--from", text));
        Assert.Contains("user:NAME or tag:NAME", ex.Message);
        Assert.Contains("--from", ex.Message);
    }

    [Fact]
    public void ParseTarget_User_IsRejectedBecauseUsersOwnNoPorts()
    {
        var ex = Assert.Throws<UsageException>(() => OptionText.Target("--to", "user:alice"));
        Assert.Contains("not a user", ex.Message);
    }

    [Fact]
    public void Parse_LongestLabel_IsAcceptedAndOneMoreIsNot()
    {
        Assert.Equal(MeshPorts.Contracts.Grammar.SubjectKind.Node, OptionText.Subject("--from", new string('a', 63)).Kind);
        Assert.Throws<UsageException>(() => OptionText.Subject("--from", new string('a', 64)));
    }
}
