using System.Text;
using Digest.FrontEnds.Slack;
using Shouldly;

namespace Digest.Tests.Slack;

/// <summary>Form bodies are read strictly, so one signed body can never mean two things.</summary>
public sealed class SlackFormTests
{
    private static IReadOnlyDictionary<string, string>? Parse(string body) => SlackForm.TryParse(Encoding.UTF8.GetBytes(body));

    [Fact]
    public void TryParse_SlashCommand_DecodesPercentAndPlus()
    {
        var form = Parse("team_id=T1&text=add+title%3A%22low+rank%22+%C3%A9t%C3%A9&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F1%2Fx");

        form.ShouldNotBeNull();
        form["text"].ShouldBe("add title:\"low rank\" été");
        form["response_url"].ShouldBe("https://hooks.slack.com/commands/T1/1/x");
    }

    [Theory]
    [InlineData("a=plain", "plain")]
    [InlineData("a=%E2%82%AC+and+€", "€ and €")]
    [InlineData("a=été%20%C3%A9", "été é")]
    [InlineData("a=%F0%9F%93%84x", "📄x")]
    [InlineData("a=%2B%25", "+%")]
    public void TryParse_LiteralAndEscapedCharacters_DecodeToTheSameText(string body, string expected)
    {
        Parse(body)!["a"].ShouldBe(expected);
    }

    [Theory]
    [InlineData("a=%zz")]
    [InlineData("a=%4")]
    [InlineData("a=%C3x")]
    [InlineData("a=é%A9")]
    [InlineData("a=%E2%82+")]
    [InlineData("a=1&a=2")]
    [InlineData("a=%C3%28")]
    [InlineData("=value")]
    public void TryParse_Malformed_IsNull(string body)
    {
        Parse(body).ShouldBeNull();
    }

    [Fact]
    public void TryParse_InvalidUtf8Bytes_IsNull()
    {
        SlackForm.TryParse([(byte)'a', (byte)'=', 0xC3, 0x28]).ShouldBeNull();
    }

    [Theory]
    [InlineData("<@U0BOT> add agents", "add agents")]
    [InlineData("add upvotes&gt;=20 &amp; more", "add upvotes>=20 & more")]
    [InlineData("  rules\n\t ", "rules")]
    public void Command_MentionsEntitiesAndWhitespace_AreReadAsTyped(string text, string expected)
    {
        SlackText.Command(text).ShouldBe(expected);
    }
}
