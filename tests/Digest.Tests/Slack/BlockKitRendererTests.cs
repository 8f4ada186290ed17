using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Digest.Papers;
using Digest.Platforms.Slack;
using Shouldly;

namespace Digest.Tests.Slack;

/// <summary>Alerts as Block Kit: page text inert, at most 50 blocks a message, no paper dropped.</summary>
public sealed class BlockKitRendererTests
{
    public const string HostileTitle = "<!channel> <https://evil|x> *bold* _it_ ~strike~ `code` @here & <@U024BE7LH>";

    // Readable: shows Slack's escaping without JSON's own \u003C escapes (the wire has those on top).
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly BlockKitRenderer _renderer = new();

    public static Paper NewPaper(string id, string title, params string[] authors) =>
        new(id, title, "An abstract.", authors, 42, new DateOnly(2026, 8, 1));

    [Fact]
    public void Digest_HostileTitle_ArrivesAsEscapedPlainText()
    {
        var paper = NewPaper("2408.00001", HostileTitle, "A. <!here> Author", "*B.* Author");

        var message = _renderer.Digest("New papers for title:agents", [new SlackPaperItem(paper, ["agents", "<!everyone>"])]).ShouldHaveSingleItem();

        message.Blocks.ToJsonString(Readable).ShouldBe(
            """[{"type":"header","text":{"type":"plain_text","text":"New papers for title:agents","emoji":false}},""" +
            """{"type":"section","text":{"type":"plain_text","text":"&lt;!channel&gt; &lt;https://evil|x&gt; *bold* _it_ ~strike~ `code` @here &amp; &lt;@U024BE7LH&gt;","emoji":false}},""" +
            """{"type":"context","elements":[{"type":"mrkdwn","text":"<https://huggingface.co/papers/2408.00001|Open on Hugging Face>"},""" +
            """{"type":"plain_text","text":"A. &lt;!here&gt; Author, *B.* Author","emoji":false},""" +
            """{"type":"plain_text","text":"Matched: agents, &lt;!everyone&gt; · 42 upvotes · 2026-08-01","emoji":false}]}]""");
        message.Text.ShouldBe("New papers for title:agents: &lt;!channel&gt; &lt;https://evil|x&gt; *bold* _it_ ~strike~ `code` @here &amp; &lt;@U024BE7LH&gt;");
    }

    [Fact]
    public void Digest_PageTextNeverReachesMrkdwn()
    {
        var paper = NewPaper("2408.00001", HostileTitle, HostileTitle);

        var message = _renderer.Digest(HostileTitle, [new SlackPaperItem(paper, [HostileTitle])]).ShouldHaveSingleItem();

        var mrkdwn = message.Blocks.ToJsonString().Split("\"mrkdwn\"").Length - 1;
        mrkdwn.ShouldBe(1);
        message.Blocks[2]!["elements"]![0]!["text"]!.GetValue<string>().ShouldBe("<https://huggingface.co/papers/2408.00001|Open on Hugging Face>");
        message.Blocks.ToJsonString(Readable).ShouldNotContain("<!");
        message.Text.ShouldNotContain("<");
    }

    [Theory]
    [InlineData("2408.00001", "https://huggingface.co/papers/2408.00001")]
    [InlineData("title-abc123", "https://huggingface.co/papers/title-abc123")]
    [InlineData("x|<!channel>", "https://huggingface.co/papers/x%7C%3C%21channel%3E")]
    [InlineData("../../evil", "https://huggingface.co/papers/..%2F..%2Fevil")]
    public void PaperUrl_AnyId_StaysInsideTheLink(string id, string url)
    {
        BlockKitRenderer.PaperUrl(id).ShouldBe(url);
    }

    [Fact]
    public void Digest_SixtyPapers_SplitIntoMessagesOfAtMostFiftyBlocks_NoneDropped()
    {
        var papers = Enumerable.Range(1, 60).Select(i => new SlackPaperItem(NewPaper($"2408.{i:D5}", $"Paper {i}", "Author"), ["agents"])).ToList();

        var messages = _renderer.Digest("New papers", papers);

        messages.Count.ShouldBe(3);
        messages.ShouldAllBe(message => message.Blocks.Count <= BlockKitRenderer.MaxBlocksPerMessage);
        SectionTitles(messages).ShouldBe(papers.Select(item => item.Paper.Title));
        messages.Select(message => message.Blocks[0]!["text"]!["text"]!.GetValue<string>()).ShouldBe(["New papers (1 of 3)", "New papers (2 of 3)", "New papers (3 of 3)"]);
        messages[1].Text.ShouldStartWith("New papers (2 of 3): Paper 25; Paper 26");
    }

    [Fact]
    public void Digest_LongTitlesAndAuthors_SplitByTextSizeTooAndKeepEveryPaper()
    {
        var authors = Enumerable.Range(1, 3).Select(i => new string('a', 60) + i).ToArray();
        var papers = Enumerable.Range(1, 40).Select(i => new SlackPaperItem(NewPaper($"2408.{i:D5}", $"{i} " + new string('t', 400), authors), ["agents"])).ToList();

        var messages = _renderer.Digest("New papers", papers);

        messages.Count.ShouldBeGreaterThan(2);
        messages.ShouldAllBe(message => message.Blocks.ToJsonString().Length <= BlockKitRenderer.MaxBlockTextChars);
        SectionTitles(messages).Select(title => title.Split(' ')[0]).ShouldBe(Enumerable.Range(1, 40).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        SectionTitles(messages).ShouldAllBe(title => title.Length <= 300 && title.EndsWith('…'));
    }

    [Theory]
    [InlineData(20)]
    [InlineData(400)]
    public void Message_EachSizeWithButtonsAndAShowMoreButton_StaysWithinSlacksLimits(int titleLength)
    {
        IReadOnlyList<(string Title, string Command)> feedback = [("More like this", "feedback like 2408.00001"), ("Not interested", "feedback dislike 2408.00001")];
        var papers = Enumerable.Range(1, 60).Select(i => new SlackPaperItem(NewPaper($"2408.{i:D5}", $"{i} " + new string('t', titleLength), "Author"), ["agents"], feedback)).ToList();
        var more = (new string('S', 100), "more " + new string('0', 30));

        var offset = 0;
        foreach (var size in _renderer.MessageSizes(papers, int.MaxValue))
        {
            var message = _renderer.Message("New papers (1 of 9)", [.. papers.Skip(offset).Take(size)], more);
            offset += size;

            message.Blocks.Count.ShouldBeLessThanOrEqualTo(BlockKitRenderer.MaxBlocksPerMessage);
            message.Blocks.ToJsonString().Length.ShouldBeLessThanOrEqualTo(BlockKitRenderer.MaxBlockTextChars);
            var button = message.Blocks[^1]!["elements"]!.AsArray().ShouldHaveSingleItem()!;
            ((string)button["value"]!).ShouldBe(more.Item2);
            ((string)button["action_id"]!).ShouldBe(BlockKitRenderer.CommandActionId);
            ((string)button["text"]!["text"]!).Length.ShouldBeLessThanOrEqualTo(75);
        }

        offset.ShouldBe(papers.Count);
    }

    [Fact]
    public void Digest_NoPapers_NoMessage()
    {
        _renderer.Digest("New papers", []).ShouldBeEmpty();
    }

    private static List<string> SectionTitles(IReadOnlyList<SlackMessage> messages) =>
        [.. messages.SelectMany(message => message.Blocks).OfType<JsonObject>()
            .Where(block => (string?)block["type"] == "section")
            .Select(block => block["text"]!["text"]!.GetValue<string>())];
}
