using System.Text.Json.Nodes;
using Digest.Conversation;
using Digest.FrontEnds.Slack;
using Digest.Papers;
using Digest.Platforms.Slack;
using Digest.Rules;
using Digest.Subscriptions;
using Shouldly;

namespace Digest.Tests.Slack;

/// <summary>The command core's replies in Block Kit: user and page text can never mention, link or format.</summary>
public sealed class SlackReplyRendererTests
{
    private const string Hostile = "<!channel> <https://evil.example|click> *bold* _it_ ~s~ `code` @here &amp;";

    private readonly SlackReplyRenderer _renderer = new(new BlockKitRenderer());

    // Every text object of the message: mrkdwn ones must be ours alone, the others carry the hostile text inertly.
    private static List<JsonObject> TextObjects(JsonNode node)
    {
        var found = new List<JsonObject>();
        void Walk(JsonNode? current)
        {
            switch (current)
            {
                case JsonObject obj:
                    if (obj["type"] is JsonValue type && (string?)type is "plain_text" or "mrkdwn" or "text")
                    {
                        found.Add(obj);
                    }

                    foreach (var (_, child) in obj)
                    {
                        Walk(child);
                    }

                    break;
                case JsonArray array:
                    foreach (var child in array)
                    {
                        Walk(child);
                    }

                    break;
                default:
                    break;
            }
        }

        Walk(node);
        return found;
    }

    private static void ShouldBeInert(SlackMessage message)
    {
        message.Text.ShouldNotContain("<!channel>");
        message.Text.ShouldNotContain("<https://");
        foreach (var text in TextObjects(message.Blocks))
        {
            var value = (string)text["text"]!;
            switch ((string)text["type"]!)
            {
                case "mrkdwn":
                    value.ShouldNotContain("evil");
                    value.ShouldNotContain("*bold*");
                    break;
                case "plain_text":
                    value.ShouldNotContain("<");
                    break;
                default:
                    break; // rich_text "text" elements are literal: no markup, mention or link is read from them
            }
        }
    }

    [Fact]
    public void Render_TextReplyWithHostileText_IsARichTextBlockWithStyledRuns()
    {
        var message = _renderer.Render(new TextReply(RichText.Plain("I did not understand \"" + Hostile + "\". Try ") + RichText.Strong("help") + " or " + RichText.Emphasis("rule")));

        ShouldBeInert(message);
        var block = message.Blocks.Single()!;
        ((string)block["type"]!).ShouldBe("rich_text");
        var runs = block["elements"]![0]!["elements"]!.AsArray();
        ((string)runs[0]!["text"]!).ShouldContain(Hostile);
        runs[0]!["style"].ShouldBeNull();
        ((bool)runs[1]!["style"]!["bold"]!).ShouldBeTrue();
        ((bool)runs[3]!["style"]!["italic"]!).ShouldBeTrue();
        message.Text.ShouldContain("&lt;!channel&gt;");
    }

    [Fact]
    public void Render_RulesWithHostileRule_ArePlainTextRowsWithRemoveButtons()
    {
        var rule = new StoredRule(1, "0000000000000000001-abc", Hostile, default);

        var message = _renderer.Render(new RulesReply([rule]));

        ShouldBeInert(message);
        var row = message.Blocks[1]!;
        ((string)row["text"]!["type"]!).ShouldBe("plain_text");
        ((string)row["accessory"]!["value"]!).ShouldBe("remove id:0000000000000000001-abc");
    }

    [Fact]
    public void Render_ManyRules_StaysWithinFiftyBlocks()
    {
        var rules = Enumerable.Range(1, 50).Select(number => new StoredRule(number, $"{number:D19}-x", "rule " + number, default)).ToList();

        var message = _renderer.Render(new RulesReply(rules));

        message.Blocks.Count.ShouldBeLessThanOrEqualTo(BlockKitRenderer.MaxBlocksPerMessage);
        message.Blocks[^1]!.ToJsonString().ShouldContain("and 5 more");
    }

    [Fact]
    public void Render_PapersWithHostileTitleAndHeading_AreInert()
    {
        var paper = new Paper("2406.00001", Hostile, "abstract", [Hostile], 7, new DateOnly(2026, 6, 12));

        var message = _renderer.Render(new PapersReply("Rule 1 added: " + Hostile, [new MatchedPaper(paper, [Hostile])], 5));

        ShouldBeInert(message);
        message.Blocks.ToJsonString().ShouldContain("and 4 more");
    }

    [Fact]
    public void Render_HelpAndFacts_ArePlainText()
    {
        ShouldBeInert(_renderer.Render(new HelpReply(Hostile, [new CommandHelp(Hostile, Hostile, "help")])));
        ShouldBeInert(_renderer.Render(new FactsReply(Hostile, [new(Hostile, Hostile)])));
    }

    [Fact]
    public void Home_HostileRule_IsInert()
    {
        StoredRule[] rules = [new StoredRule(1, "r", Hostile, default)];

        var home = SlackHomeView.Home(new HomeSection(null, null, rules), [new HomeSection("C0CHANNEL", null, rules)]);

        ShouldBeInert(new SlackMessage("", home["blocks"]!.AsArray()));
    }
}
