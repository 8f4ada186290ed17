using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Digest.Papers;
using Digest.Rules;

namespace Digest.Platforms.Teams.Cards;

/// <summary>Adaptive Cards (1.5, under 28 KB): the papers card that deliveries and previews send, and the building
/// blocks of the bot's other cards. Everything user- or page-supplied is escaped before it reaches a Markdown TextBlock.</summary>
public sealed class AdaptiveCardRenderer
{
    /// <summary>Teams' documented card budget: about 28 KB, counted in UTF-16 (2 bytes per char).</summary>
    public const int MaxCardBytes = 28 * 1024;

    private const int AbstractSnippetLength = 280;
    private const int MaxAuthorsShown = 3;

    // Room kept for the "and N more" line and the activity around the card.
    private const int ReserveChars = 600;

    /// <summary>The size Teams counts for a card: UTF-16 bytes of its JSON.</summary>
    public static int MeasureBytes(JsonObject card)
    {
        ArgumentNullException.ThrowIfNull(card);
        return card.ToJsonString().Length * 2;
    }

    /// <summary>A list of papers under a heading. Papers that do not fit the size budget are left out and counted
    /// in an "and N more" line; <paramref name="totalCount"/> (when larger than the list) adds to that count.
    /// <paramref name="buttons"/> gives each paper its buttons (title, and the command text an <c>Action.Submit</c> sends);
    /// <paramref name="more"/> is a button of the whole card (the "show more" of a capped delivery).</summary>
    public JsonObject Papers(string heading, IReadOnlyList<MatchedPaper> papers, int? totalCount = null, Func<Paper, IReadOnlyList<(string Title, string Command)>>? buttons = null,
        (string Title, string Command)? more = null)
    {
        ArgumentNullException.ThrowIfNull(papers);
        var body = new JsonArray { TextBlock(Escape(heading), weight: "Bolder", size: "Medium") };
        var actions = more is { } action ? new JsonArray { SubmitAction(action.Title, action.Command) } : [];
        return Budgeted(Card(body, actions), body, papers.Select(paper => PaperContainer(paper, buttons?.Invoke(paper.Paper) ?? [])), papers.Count, totalCount);
    }

    // Adds items while the card stays under the budget, then an "and N more" line for the rest.
    internal static JsonObject Budgeted(JsonObject card, JsonArray body, IEnumerable<JsonObject> items, int itemCount, int? totalCount)
    {
        var budgetChars = (MaxCardBytes / 2) - ReserveChars;
        var used = card.ToJsonString().Length;
        var shown = 0;
        foreach (var item in items)
        {
            var size = item.ToJsonString().Length + 1;
            if (used + size > budgetChars)
            {
                break;
            }

            body.Add(item);
            used += size;
            shown++;
        }

        var more = Math.Max(itemCount, totalCount ?? 0) - shown;
        if (more > 0)
        {
            body.Add(TextBlock(string.Create(CultureInfo.InvariantCulture, $"…and {more} more"), isSubtle: true));
        }

        return card;
    }

    private static readonly SearchValues<char> NeedsEscaping = SearchValues.Create("\\*_[]`~#|<>\r\n\t");

    /// <summary>Escapes Markdown (and the angle brackets of <c>&lt;at&gt;</c>-style tags) in untrusted text.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Most text needs nothing escaped, and every card escapes many strings: those are returned as they are.
        var first = text.AsSpan().IndexOfAny(NeedsEscaping);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16).Append(text, 0, first);
        foreach (var c in text.AsSpan(first))
        {
            switch (c)
            {
                case '\\' or '*' or '_' or '[' or ']' or '`' or '~' or '#' or '|':
                    builder.Append('\\').Append(c);
                    break;
                case '<':
                    builder.Append("&lt;");
                    break;
                case '>':
                    builder.Append("&gt;");
                    break;
                case '\r' or '\n' or '\t':
                    builder.Append(' ');
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        return builder.ToString();
    }

    internal static string EscapeInline(string text) => Escape(text.Length > 200 ? text[..200] + "…" : text);

    private static JsonObject PaperContainer(MatchedPaper item, IReadOnlyList<(string Title, string Command)> buttons)
    {
        var paper = item.Paper;
        var authors = paper.Authors.Count <= MaxAuthorsShown
            ? string.Join(", ", paper.Authors)
            : string.Join(", ", paper.Authors.Take(MaxAuthorsShown)) + " et al.";
        var details = string.Create(CultureInfo.InvariantCulture, $"{paper.Date:yyyy-MM-dd} · ▲ {paper.Upvotes}") + (authors.Length > 0 ? " · " + authors : "");
        var snippet = paper.AiSummary is { Length: > 0 } summary ? summary : paper.Abstract;
        if (snippet.Length > AbstractSnippetLength)
        {
            snippet = snippet[..AbstractSnippetLength].TrimEnd() + "…";
        }

        var items = new JsonArray
        {
            TextBlock($"[{Escape(paper.Title)}]({PaperUrl(paper)})", weight: "Bolder"),
            TextBlock(Escape(details), isSubtle: true, size: "Small"),
        };
        if (snippet.Length > 0)
        {
            items.Add(TextBlock(Escape(snippet), size: "Small", maxLines: 4));
        }

        if (item.Highlights.Count > 0)
        {
            items.Add(TextBlock("Matched: " + string.Join(", ", item.Highlights.Take(8).Select(word => "**" + Escape(word) + "**")), size: "Small"));
        }

        if (buttons.Count > 0)
        {
            items.Add(new JsonObject { ["type"] = "ActionSet", ["actions"] = new JsonArray([.. buttons.Select(button => (JsonNode)SubmitAction(button.Title, button.Command))]) });
        }

        return new JsonObject { ["type"] = "Container", ["separator"] = true, ["items"] = items };
    }

    private static string PaperUrl(Paper paper) =>
        paper.Id.StartsWith("title-", StringComparison.Ordinal)
            ? "https://huggingface.co/papers"
            : "https://huggingface.co/papers/" + Uri.EscapeDataString(paper.Id);

    internal static JsonObject Card(JsonArray body, JsonArray actions)
    {
        var card = new JsonObject
        {
            ["type"] = "AdaptiveCard",
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["version"] = "1.5",
            ["body"] = body,
            ["msteams"] = new JsonObject { ["width"] = "Full" },
        };
        if (actions.Count > 0)
        {
            card["actions"] = actions;
        }

        return card;
    }

    internal static JsonObject SubmitAction(string title, string command) => new()
    {
        ["type"] = "Action.Submit",
        ["title"] = title,
        ["data"] = new JsonObject { ["command"] = command },
    };

    internal static JsonObject TextBlock(string text, string? weight = null, string? size = null, bool isSubtle = false, int? maxLines = null)
    {
        var block = new JsonObject { ["type"] = "TextBlock", ["text"] = text, ["wrap"] = true };
        if (weight is not null)
        {
            block["weight"] = weight;
        }

        if (size is not null)
        {
            block["size"] = size;
        }

        if (isSubtle)
        {
            block["isSubtle"] = true;
        }

        if (maxLines is not null)
        {
            block["maxLines"] = maxLines;
        }

        return block;
    }
}
