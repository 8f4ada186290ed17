using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Digest.Papers;

namespace Digest.Platforms.Slack;

/// <summary>One paper of an alert, with the words of the rule that matched it.</summary>
/// <summary>A paper of an alert; <paramref name="Buttons"/> are its buttons (title, and the command text they send back
/// as the value of a <see cref="BlockKitRenderer.CommandActionId"/> action).</summary>
public sealed record SlackPaperItem(Paper Paper, IReadOnlyList<string> MatchedWords, IReadOnlyList<(string Title, string Command)>? Buttons = null);

/// <summary>Renders alerts as Block Kit (bot-protocol.md §5.2.5).
/// <para>Page text is untrusted: a title may hold <c>&lt;!channel&gt;</c>, <c>&lt;https://evil|x&gt;</c>,
/// <c>*bold*</c> or <c>@here</c>. Slack's mrkdwn has no escape for <c>*</c>, <c>_</c>, <c>~</c> and <c>`</c> (tricks
/// with zero-width characters change the text and are not guaranteed to hold), so page text never goes into mrkdwn:
/// it goes into <c>plain_text</c> objects (<c>emoji:false</c>), which Slack renders without formatting, links or
/// mentions. The only mrkdwn is ours: the paper link, whose label is fixed and whose URL carries the id
/// percent-encoded. On top of that <c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c> are escaped everywhere, as Slack asks for
/// all text, so even a surface that did parse control sequences would see none. The message <c>text</c> fallback
/// (notifications) is escaped the same way and sent with <c>mrkdwn:false</c>; a bare <c>@here</c> is only a mention
/// with <c>link_names</c>, which is never set.</para>
/// <para>A message holds at most 50 blocks and about 12,000 characters of block text (Slack refuses longer ones with
/// <c>msg_blocks_too_long</c> near 13,000); papers that do not fit go to the next message, none is dropped.</para></summary>
public sealed class BlockKitRenderer
{
    public const int MaxBlocksPerMessage = 50;

    /// <summary>The <c>action_id</c> of a button whose value is a command for the command core.</summary>
    public const string CommandActionId = "digest.command";

    /// <summary>Block text per message: under the ~13,000 characters where Slack was seen to refuse a message.</summary>
    public const int MaxBlockTextChars = 12_000;

    /// <summary>Where a paper's page is.</summary>
    public const string PaperUrlPrefix = "https://huggingface.co/papers/";

    private const int MaxTitleChars = 300;
    private const int MaxHeaderChars = 150;
    private const int MaxAuthorsShown = 3;
    private const int MaxMatchedChars = 200;
    private const int MaxFallbackChars = 2_000;

    // Slack allows 75 characters in a button's text; the room kept for a message's own button block.
    private const int MaxButtonTitleChars = 75;
    private const int MaxMessageButtonChars = 400;

    /// <summary>The alert for <paramref name="papers"/> under <paramref name="heading"/>, as as many messages as it
    /// takes (none for no papers). Papers keep their order; each message repeats the heading.</summary>
    public IReadOnlyList<SlackMessage> Digest(string heading, IReadOnlyList<SlackPaperItem> papers)
    {
        ArgumentNullException.ThrowIfNull(heading);
        ArgumentNullException.ThrowIfNull(papers);
        var sizes = MessageSizes(papers, int.MaxValue);
        var messages = new List<SlackMessage>(sizes.Count);
        var offset = 0;
        for (var index = 0; index < sizes.Count; index++)
        {
            var title = sizes.Count == 1 ? heading : string.Create(CultureInfo.InvariantCulture, $"{heading} ({index + 1} of {sizes.Count})");
            messages.Add(Message(title, [.. papers.Skip(offset).Take(sizes[index])]));
            offset += sizes[index];
        }

        return messages;
    }

    /// <summary>How many of <paramref name="papers"/>, in order, each message takes so that every message stays within
    /// <see cref="MaxBlocksPerMessage"/>, <see cref="MaxBlockTextChars"/> and <paramref name="maxPapersPerMessage"/>,
    /// whatever its heading (headings are cut to a fixed length). Every paper is in one message.</summary>
    public IReadOnlyList<int> MessageSizes(IReadOnlyList<SlackPaperItem> papers, int maxPapersPerMessage)
    {
        ArgumentNullException.ThrowIfNull(papers);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPapersPerMessage, 1);
        var sizes = new List<int>();
        int count = 0, blocks = 0, chars = 0;
        foreach (var item in papers)
        {
            var paperBlocks = PaperBlocks(item);
            var size = paperBlocks.Sum(block => block.ToJsonString().Length);

            // One header block per message, with room for a "(2 of 3)" suffix, and room for a last block with the
            // message's own button (the "show more" of a capped delivery).
            if (count == 0 || count >= maxPapersPerMessage || blocks + paperBlocks.Length > MaxBlocksPerMessage || chars + size > MaxBlockTextChars)
            {
                if (count > 0)
                {
                    sizes.Add(count);
                }

                count = 0;
                blocks = 2;
                chars = (MaxHeaderChars * 2) + MaxMessageButtonChars;
            }

            count++;
            blocks += paperBlocks.Length;
            chars += size;
        }

        if (count > 0)
        {
            sizes.Add(count);
        }

        return sizes;
    }

    /// <summary>One message of <paramref name="papers"/> under <paramref name="heading"/>; the papers must fit one
    /// message (a size <see cref="MessageSizes"/> answered).
    /// <paramref name="more"/> is a button of the whole message, in a last block (the "show more" of a capped delivery).</summary>
    public SlackMessage Message(string heading, IReadOnlyList<SlackPaperItem> papers, (string Title, string Command)? more = null)
    {
        ArgumentNullException.ThrowIfNull(heading);
        ArgumentNullException.ThrowIfNull(papers);
        var blocks = new JsonArray { new JsonObject { ["type"] = "header", ["text"] = PlainText(Truncate(heading, MaxHeaderChars)) } };
        foreach (var block in papers.SelectMany(PaperBlocks))
        {
            blocks.Add(block);
        }

        if (more is { } button)
        {
            blocks.Add(new JsonObject { ["type"] = "actions", ["elements"] = new JsonArray { CommandButton(Truncate(button.Title, MaxButtonTitleChars), button.Command) } });
        }

        return new SlackMessage(Fallback(heading, papers), blocks);
    }

    /// <summary>A short message of our own text alone (the "nothing matched" note), as plain text.</summary>
    public static SlackMessage Note(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new SlackMessage(Escape(text), [new JsonObject { ["type"] = "section", ["text"] = PlainText(text) }]);
    }

    /// <summary>Escapes the three characters Slack reads as control sequences: <c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c>.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Most text has none of the three, and every message escapes many strings: those are returned as they are.
        var first = text.AsSpan().IndexOfAny('&', '<', '>');
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16).Append(text, 0, first);
        foreach (var c in text.AsSpan(first))
        {
            _ = c switch
            {
                '&' => builder.Append("&amp;"),
                '<' => builder.Append("&lt;"),
                '>' => builder.Append("&gt;"),
                _ => builder.Append(c),
            };
        }

        return builder.ToString();
    }

    /// <summary>A <c>plain_text</c> object for untrusted text: escaped, no emoji shortcodes, no formatting.</summary>
    public static JsonObject PlainText(string text) =>
        new() { ["type"] = "plain_text", ["text"] = Escape(text), ["emoji"] = false };

    /// <summary>The page of a paper; the id is percent-encoded, so no id can break out of the link.</summary>
    public static string PaperUrl(string paperId) => PaperUrlPrefix + Uri.EscapeDataString(paperId ?? "");

    private static JsonObject[] PaperBlocks(SlackPaperItem item)
    {
        var paper = item.Paper;
        var title = OneLine(paper.Title);
        var section = new JsonObject
        {
            ["type"] = "section",
            ["text"] = PlainText(Truncate(title.Length == 0 ? "(untitled)" : title, MaxTitleChars)),
        };

        var context = new JsonArray
        {
            new JsonObject { ["type"] = "mrkdwn", ["text"] = $"<{PaperUrl(paper.Id)}|Open on Hugging Face>" },
        };
        if (paper.Authors.Count > 0)
        {
            var authors = string.Join(", ", paper.Authors.Take(MaxAuthorsShown).Select(OneLine));
            context.Add(PlainText(paper.Authors.Count > MaxAuthorsShown ? authors + " et al." : authors));
        }

        var facts = new List<string>();
        if (item.MatchedWords.Count > 0)
        {
            facts.Add("Matched: " + Truncate(string.Join(", ", item.MatchedWords.Select(OneLine)), MaxMatchedChars));
        }

        facts.Add(string.Create(CultureInfo.InvariantCulture, $"{paper.Upvotes} upvotes"));
        facts.Add(paper.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        context.Add(PlainText(string.Join(" · ", facts)));
        JsonObject[] blocks = [section, new JsonObject { ["type"] = "context", ["elements"] = context }];
        return item.Buttons is not { Count: > 0 } buttons ? blocks : [.. blocks, new JsonObject
        {
            ["type"] = "actions",
            ["elements"] = new JsonArray([.. buttons.Select(button => (JsonNode)CommandButton(button.Title, button.Command))]),
        }];
    }

    private static JsonObject CommandButton(string title, string command) => new()
    {
        ["type"] = "button",
        ["text"] = PlainText(title),
        ["action_id"] = CommandActionId,
        ["value"] = command,
    };

    private static string Fallback(string heading, IEnumerable<SlackPaperItem> papers)
    {
        var text = heading + ": " + string.Join("; ", papers.Select(item => OneLine(item.Paper.Title)));
        return Escape(Truncate(OneLine(text), MaxFallbackChars));
    }

    private static string OneLine(string text) =>
        string.Join(' ', (text ?? "").Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();

    // Cut before escaping, so an entity is never cut in half; never inside a surrogate pair.
    private static string Truncate(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        var cut = max - 1;
        if (char.IsHighSurrogate(text[cut - 1]))
        {
            cut--;
        }

        return text[..cut] + "…";
    }
}
