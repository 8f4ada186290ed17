using System.Text.Json.Nodes;
using Digest.Platforms.Teams.Cards;
using Digest.FrontEnds.Teams;
using Digest.Conversation;
using Digest.Papers;
using Digest.Rules;
using Digest.Subscriptions;
using Shouldly;

namespace Digest.Tests.Bot;

public sealed class AdaptiveCardRendererTests
{
    private readonly AdaptiveCardRenderer _renderer = new();

    private static Paper LongPaper(int i) => new(
        $"2611.{i:D5}",
        $"Paper {i}: " + string.Concat(Enumerable.Repeat("a very long title about diffusion models ", 4)),
        string.Concat(Enumerable.Repeat("An abstract sentence that goes on and on. ", 30)),
        [.. Enumerable.Range(0, 12).Select(a => $"Author {a} of {i}")],
        i,
        new DateOnly(2026, 11, 22));

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(500)]
    public void Papers_ManyPapers_StaysUnder28KBAndCountsTheRest(int count)
    {
        var items = Enumerable.Range(0, count).Select(i => new MatchedPaper(LongPaper(i), ["diffusion", "model"])).ToList();

        var card = _renderer.Papers($"{count} papers matched", items);

        AdaptiveCardRenderer.MeasureBytes(card).ShouldBeLessThanOrEqualTo(AdaptiveCardRenderer.MaxCardBytes);
        card["version"]!.GetValue<string>().ShouldBe("1.5");
        var body = card["body"]!.AsArray();
        var shown = body.Count(item => (string?)item!["type"] == "Container");
        shown.ShouldBeGreaterThan(0);
        if (shown < count)
        {
            ((string)body[^1]!["text"]!).ShouldBe($"…and {count - shown} more");
        }
        else
        {
            body.ShouldAllBe(item => !((string)item!["text"]! ?? "").StartsWith('…'));
        }
    }

    [Fact]
    public void Papers_TotalLargerThanList_CountsTheUnlisted()
    {
        var card = _renderer.Papers("preview", [new MatchedPaper(LongPaper(1), [])], totalCount: 9);

        ((string)card["body"]!.AsArray()[^1]!["text"]!).ShouldBe("…and 8 more");
    }

    [Fact]
    public void Papers_HostileTitle_EscapedInMarkdown()
    {
        var paper = LongPaper(1) with { Title = "[click](https://evil.example) **now** <at>Boss</at>" };

        var card = _renderer.Papers("x", [new MatchedPaper(paper, [])]);

        var title = (string)card["body"]![1]!["items"]![0]!["text"]!;
        title.ShouldBe("[\\[click\\](https://evil.example) \\*\\*now\\*\\* &lt;at&gt;Boss&lt;/at&gt;](https://huggingface.co/papers/2611.00001)");
    }

    [Fact]
    public void HelpAndRules_AreValidSmallCards()
    {
        var help = TeamsReplyRenderer.Help("What I can do", CommandRouter.Commands);
        var rules = TeamsReplyRenderer.Rules([.. Enumerable.Range(1, 50).Select(i => new StoredRule(i, $"r{i}", new string('x', 500), default))]);

        foreach (var card in new[] { help, rules })
        {
            card["type"]!.GetValue<string>().ShouldBe("AdaptiveCard");
            card["version"]!.GetValue<string>().ShouldBe("1.5");
            AdaptiveCardRenderer.MeasureBytes(card).ShouldBeLessThanOrEqualTo(AdaptiveCardRenderer.MaxCardBytes);
            JsonNode.Parse(card.ToJsonString()).ShouldNotBeNull();
        }
    }
}
