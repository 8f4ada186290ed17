using System.Text.Json.Nodes;
using Digest.Conversation;
using Digest.Conversation.Commands;
using Digest.Delivery;
using Digest.Platforms.Slack;
using Digest.Rules;
using Digest.Subscriptions;
using static Digest.Platforms.Slack.BlockKitRenderer;

namespace Digest.FrontEnds.Slack;

/// <summary>The command core's replies as Slack shows them, in Block Kit.
/// <para>Text a user typed or a page carried never goes into <c>mrkdwn</c>, which has no escape for <c>*</c>, <c>_</c>,
/// <c>~</c> and <c>`</c>: styled text (<see cref="RichText"/>) becomes a <c>rich_text</c> block, whose text elements are
/// shown literally (a mention or a link there would have to be an element of its own, which only we could add), and the
/// rest goes into <c>plain_text</c> objects, escaped (<see cref="BlockKitRenderer.PlainText"/>). The notification
/// <c>text</c> is the plain text with <c>&amp;</c>, <c>&lt;</c> and <c>&gt;</c> escaped, so it cannot hold a
/// <c>&lt;!channel&gt;</c> or a link either.</para></summary>
public sealed class SlackReplyRenderer(BlockKitRenderer blockKit)
{
    /// <summary>The action of every button that runs a command (its value is the command).</summary>
    public const string CommandAction = BlockKitRenderer.CommandActionId;

    // 50 blocks a message: a heading, the rows, and a line that counts what did not fit.
    private const int MaxRuleRows = 45;
    private const int MaxSectionChars = 2_900;

    /// <summary>A command's answer: its reply, or, when it has none (a digest that went out as messages), its summary.</summary>
    public SlackMessage Render(CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Render(result.Reply ?? new TextReply(RichText.Plain(result.Summary)));
    }

    public SlackMessage Render(Reply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return reply switch
        {
            TextReply text => Message(text.Text.PlainText, [RichTextBlock(text.Text)]),
            HelpReply help => Message(help.Heading, Help(help)),
            RulesReply rules => Message(rules.Rules.Count == 0 ? "No rules yet" : $"Rules ({rules.Rules.Count})", Rules(rules.Rules, rules.Learned)),
            PapersReply papers => Message(papers.Heading, Papers(papers)),
            FactsReply facts => Message(facts.Heading, Facts(facts)),
            _ => throw new ArgumentException($"No Slack rendering for {reply.GetType().Name}.", nameof(reply)),
        };
    }

    /// <summary>A <c>rich_text</c> block: bold and italic runs styled, every run literal.</summary>
    public static JsonObject RichTextBlock(RichText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var elements = new JsonArray();
        foreach (var run in text.Runs.Where(run => run.Text.Length > 0))
        {
            var element = new JsonObject { ["type"] = "text", ["text"] = run.Text };
            if (run.Style != TextStyle.Plain)
            {
                element["style"] = new JsonObject { [run.Style == TextStyle.Strong ? "bold" : "italic"] = true };
            }

            elements.Add(element);
        }

        if (elements.Count == 0)
        {
            elements.Add(new JsonObject { ["type"] = "text", ["text"] = " " });
        }

        return new JsonObject
        {
            ["type"] = "rich_text",
            ["elements"] = new JsonArray { new JsonObject { ["type"] = "rich_text_section", ["elements"] = elements } },
        };
    }

    /// <summary>A section of untrusted text, cut to Slack's limit.</summary>
    public static JsonObject Section(string text) =>
        new() { ["type"] = "section", ["text"] = PlainText(Cut(text, MaxSectionChars)) };

    /// <summary>A button; its <paramref name="value"/> (a command) is at most 2,000 characters, Slack's limit.</summary>
    public static JsonObject Button(string label, string actionId, string value, string? style = null)
    {
        var button = new JsonObject
        {
            ["type"] = "button",
            ["action_id"] = actionId,
            ["text"] = PlainText(label),
            ["value"] = value,
        };
        if (style is not null)
        {
            button["style"] = style;
        }

        return button;
    }

    /// <summary>A rule with its Remove button (which names the rule, so a stale list never removes another one);
    /// <paramref name="valuePrefix"/> goes before the command in the button's value.</summary>
    public static JsonObject RuleRow(StoredRule rule, string actionId, string? valuePrefix = null)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var row = Section(FormattableString.Invariant($"{rule.Number}. {rule.Text}"));
        row["accessory"] = Button("Remove", actionId, valuePrefix + RemoveRuleCommand.ButtonCommand(rule), "danger");
        return row;
    }

    private static SlackMessage Message(string fallback, JsonArray blocks) => new(Escape(Cut(fallback, 2_000)), blocks);

    private static JsonArray Help(HelpReply help)
    {
        var blocks = new JsonArray { Header(help.Heading) };
        foreach (var command in help.Commands)
        {
            blocks.Add(new JsonObject
            {
                ["type"] = "section",
                ["fields"] = new JsonArray { PlainText("/digest " + command.Usage), PlainText(command.Description) },
            });
        }

        var buttons = new JsonArray();
        foreach (var command in help.Commands.Where(command => command.ButtonCommand is not null).Take(5))
        {
            buttons.Add(Button(command.ButtonCommand!, CommandAction, command.ButtonCommand!));
        }

        if (buttons.Count > 0)
        {
            blocks.Add(new JsonObject { ["type"] = "actions", ["elements"] = buttons });
        }

        return blocks;
    }

    private static JsonArray Rules(IReadOnlyList<StoredRule> rules, LearnedTerms? learned)
    {
        if (rules.Count == 0)
        {
            return [RichTextBlock("No rules yet. Add one with " + RichText.Strong("/digest add") + " " + RichText.Emphasis("rule") + ", e.g. /digest add diffusion AND video.")];
        }

        var blocks = new JsonArray { Header($"Rules of this conversation ({rules.Count})") };
        foreach (var rule in rules.Take(MaxRuleRows))
        {
            blocks.Add(RuleRow(rule, CommandAction));
        }

        if (rules.Count > MaxRuleRows)
        {
            blocks.Add(Context($"… and {rules.Count - MaxRuleRows} more; remove some to see them (/digest remove n)."));
        }

        if (learned is not null)
        {
            // Plain text: the words come from page text.
            blocks.Add(Context($"Learned from your feedback: more like {Words(learned.Positive)}; less like {Words(learned.Negative)}."));
        }

        return blocks;

        static string Words(IReadOnlyList<string> words) => words.Count == 0 ? "nothing yet" : string.Join(", ", words);
    }

    private JsonArray Papers(PapersReply papers)
    {
        var blocks = new JsonArray { Section(papers.Heading) };
        foreach (var block in PaperBlocks(papers.Papers))
        {
            blocks.Add(block!.DeepClone());
        }

        if (papers.Total > papers.Papers.Count)
        {
            blocks.Add(Context($"… and {papers.Total - papers.Papers.Count} more."));
        }

        return blocks;
    }

    /// <summary>Papers matched by a rule, as the alert's own paper blocks without its header (the add-rule modal shows
    /// them too).</summary>
    public JsonArray PaperBlocks(IReadOnlyList<MatchedPaper> papers)
    {
        ArgumentNullException.ThrowIfNull(papers);
        var blocks = new JsonArray();
        if (papers.Count > 0)
        {
            foreach (var block in blockKit.Digest("Papers", [.. papers.Select(paper => new SlackPaperItem(paper.Paper, paper.Highlights))])[0].Blocks.Skip(1))
            {
                blocks.Add(block!.DeepClone());
            }
        }

        return blocks;
    }

    private static JsonArray Facts(FactsReply facts)
    {
        var blocks = new JsonArray { Header(facts.Heading) };
        var fields = new JsonArray();
        foreach (var (label, value) in facts.Facts.Take(10))
        {
            fields.Add(PlainText(label + ": " + value));
        }

        blocks.Add(new JsonObject { ["type"] = "section", ["fields"] = fields });
        return blocks;
    }

    public static JsonObject Header(string text) => new() { ["type"] = "header", ["text"] = PlainText(Cut(text, 150)) };

    public static JsonObject Context(string text) => new() { ["type"] = "context", ["elements"] = new JsonArray { PlainText(Cut(text, 2_000)) } };

    private static string Cut(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        var cut = char.IsHighSurrogate(text[max - 2]) ? max - 2 : max - 1;
        return text[..cut] + "…";
    }
}
