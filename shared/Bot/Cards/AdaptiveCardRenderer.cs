using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Digest.Papers;
using Digest.Subscriptions;

namespace Digest.Bot.Cards;

/// <summary>A command the help card lists.</summary>
public sealed record CommandHelp(string Usage, string Description, string? ButtonCommand = null);

/// <summary>One paper in a papers card, with the words that matched.</summary>
public sealed record PaperCardItem(Paper Paper, IReadOnlyList<string> Highlights);

/// <summary>The one place Adaptive Cards (1.5, under 28 KB) are built, for the bot and the notifier alike.
/// Everything user- or page-supplied is escaped before it reaches a Markdown TextBlock.</summary>
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

    public JsonObject Help(string heading, IReadOnlyList<CommandHelp> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var body = new JsonArray
        {
            TextBlock(Escape(heading), weight: "Bolder", size: "Medium"),
        };
        var facts = new JsonArray();
        foreach (var command in commands)
        {
            facts.Add(new JsonObject { ["title"] = Escape(command.Usage), ["value"] = Escape(command.Description) });
        }

        body.Add(new JsonObject { ["type"] = "FactSet", ["facts"] = facts });
        var actions = new JsonArray();
        foreach (var command in commands.Where(command => command.ButtonCommand is not null).Take(5))
        {
            actions.Add(SubmitAction(command.ButtonCommand!, command.ButtonCommand!));
        }

        return Card(body, actions);
    }

    /// <summary>The rules, numbered, each with a Remove button; rules beyond the size budget are counted.</summary>
    public JsonObject Rules(IReadOnlyList<StoredRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var body = new JsonArray
        {
            TextBlock(rules.Count == 0 ? "No rules yet. Add one with **add** *rule*, e.g. `add diffusion AND video`." : $"Rules of this conversation ({rules.Count})", weight: "Bolder"),
        };
        return Budgeted(Card(body, []), body, rules.Select(RuleRow), rules.Count, null);
    }

    /// <summary>A list of papers under a heading. Papers that do not fit the size budget are left out and counted
    /// in an "and N more" line; <paramref name="totalCount"/> (when larger than the list) adds to that count.</summary>
    public JsonObject Papers(string heading, IReadOnlyList<PaperCardItem> papers, int? totalCount = null)
    {
        ArgumentNullException.ThrowIfNull(papers);
        var body = new JsonArray { TextBlock(Escape(heading), weight: "Bolder", size: "Medium") };
        return Budgeted(Card(body, []), body, papers.Select(PaperContainer), papers.Count, totalCount);
    }

    // Adds items while the card stays under the budget, then an "and N more" line for the rest.
    private static JsonObject Budgeted(JsonObject card, JsonArray body, IEnumerable<JsonObject> items, int itemCount, int? totalCount)
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

    /// <summary>A heading with label/value facts (status).</summary>
    public JsonObject Facts(string heading, IReadOnlyList<KeyValuePair<string, string>> facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var set = new JsonArray();
        foreach (var (label, value) in facts)
        {
            set.Add(new JsonObject { ["title"] = Escape(label), ["value"] = Escape(value) });
        }

        return Card(new JsonArray { TextBlock(Escape(heading), weight: "Bolder", size: "Medium"), new JsonObject { ["type"] = "FactSet", ["facts"] = set } }, []);
    }

    /// <summary>Escapes Markdown (and the angle brackets of <c>&lt;at&gt;</c>-style tags) in untrusted text.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
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

    private static string EscapeInline(string text) => Escape(text.Length > 200 ? text[..200] + "…" : text);

    // The button names the rule by id, not by its number, which changes as rules are removed: a stale card, or a
    // second click, must not remove another rule.
    private static string RemoveCommand(StoredRule rule) => "remove id:" + rule.RowKey;

    private static JsonObject RuleRow(StoredRule rule) => new()
    {
        ["type"] = "ColumnSet",
        ["columns"] = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "Column",
                ["width"] = "stretch",
                ["items"] = new JsonArray { TextBlock($"**{rule.Number}.** {EscapeInline(rule.Text)}") },
            },
            new JsonObject
            {
                ["type"] = "Column",
                ["width"] = "auto",
                ["items"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["type"] = "ActionSet",
                        ["actions"] = new JsonArray { SubmitAction("Remove", RemoveCommand(rule)) },
                    },
                },
            },
        },
    };

    private static JsonObject PaperContainer(PaperCardItem item)
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

        return new JsonObject { ["type"] = "Container", ["separator"] = true, ["items"] = items };
    }

    private static string PaperUrl(Paper paper) =>
        paper.Id.StartsWith("title-", StringComparison.Ordinal)
            ? "https://huggingface.co/papers"
            : "https://huggingface.co/papers/" + Uri.EscapeDataString(paper.Id);

    private static JsonObject Card(JsonArray body, JsonArray actions)
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

    private static JsonObject SubmitAction(string title, string command) => new()
    {
        ["type"] = "Action.Submit",
        ["title"] = title,
        ["data"] = new JsonObject { ["command"] = command },
    };

    private static JsonObject TextBlock(string text, string? weight = null, string? size = null, bool isSubtle = false, int? maxLines = null)
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
