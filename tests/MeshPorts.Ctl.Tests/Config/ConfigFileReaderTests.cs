using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Config;
using Xunit;

namespace MeshPorts.Ctl.Tests.Config;

public class ConfigFileReaderTests
{
    private const string Hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void Load_KeyValueFile_GivesUrlPinAndToken()
    {
        using var dir = new TempDir();
        var path = dir.File("meshctl.conf", $"# written by the coordinator\nurl = https://127.0.0.1:7443\npin = sha256:{Hex}\ntoken = \"s3cret\"\n");

        var config = ConfigFileReader.Load(path);

        Assert.Equal(new Uri("https://127.0.0.1:7443"), config.Url);
        Assert.Equal("sha256:" + Hex, config.Pin.ToString());
        Assert.Equal("s3cret", config.AdminToken);
    }

    [Fact]
    public void Parse_JsonObject_IsAcceptedToo()
    {
        var config = ConfigFileReader.Parse($$"""{ "url": "https://h:7443", "certificateSha256": "{{Hex}}", "adminToken": "t" }""", "x");
        Assert.Equal("t", config.AdminToken);
        Assert.Equal("sha256:" + Hex, config.Pin.ToString());
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, "0640")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, "0644")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.OtherWrite, "0402")]
    public void Load_GroupOrOtherAccess_IsRefusedNamingChmod600(UnixFileMode mode, string octal)
    {
        using var dir = new TempDir();
        var path = dir.File("meshctl.conf", $"url = https://h:7443\npin = {Hex}\ntoken = t\n", mode);

        var ex = Assert.Throws<CtlException>(() => ConfigFileReader.Load(path));
        Assert.Contains($"chmod 600 {path}", ex.Message);
        Assert.Contains(octal, ex.Message);
    }

    [Fact]
    public void Load_OwnerOnly0400_IsAccepted()
    {
        using var dir = new TempDir();
        var path = dir.File("meshctl.conf", $"url = https://h:7443\npin = {Hex}\ntoken = t\n", UnixFileMode.UserRead);
        Assert.Equal("t", ConfigFileReader.Load(path).AdminToken);
    }

    [Theory]
    [InlineData("pin = " + Hex + "\ntoken = t\n", "url")]
    [InlineData("url = http://h:7443\npin = " + Hex + "\ntoken = t\n", "https://")]
    [InlineData("url = https://h:7443\ntoken = t\n", "no 'pin'")]
    [InlineData("url = https://h:7443\npin = abc\ntoken = t\n", "not a SHA-256 fingerprint")]
    [InlineData("url = https://h:7443\npin = " + Hex + "\n", "token")]
    [InlineData("just some words\n", "key = value")]
    public void Parse_IncompleteFile_SaysWhatIsMissing(string text, string fix)
    {
        var ex = Assert.Throws<CtlException>(() => ConfigFileReader.Parse(text, "meshctl.conf"));
        Assert.Contains(fix, ex.Message);
        Assert.Contains("meshctl.conf", ex.Message);
    }

    [Fact]
    public void Parse_AuditKeyLine_GivesTheKeyThatSignsAuditHeads()
    {
        var key = "ed25519:" + Convert.ToBase64String(new byte[32]);
        var config = ConfigFileReader.Parse($"url = https://h:7443\npin = sha256:{Hex}\ntoken = t\naudit_key = {key}\n", "meshctl.conf");
        Assert.Equal(key, config.AuditKey);
        Assert.Null(ConfigFileReader.Parse($"url = https://h:7443\npin = sha256:{Hex}\ntoken = t\n", "meshctl.conf").AuditKey);
    }

    [Theory]
    [InlineData("ed25519:AAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("ed25519:not base64!")]
    public void Parse_MalformedAuditKey_IsRefusedNamingTheFix(string key)
    {
        var ex = Assert.Throws<CtlException>(() => ConfigFileReader.Parse($"url = https://h:7443\npin = sha256:{Hex}\ntoken = t\naudit_key = {key}\n", "meshctl.conf"));
        Assert.Contains("audit_key", ex.Message);
    }
}
