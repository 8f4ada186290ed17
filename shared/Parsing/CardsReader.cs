using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using Digest.Papers;

namespace Digest.Parsing;

/// <summary>
/// Reads the server-rendered paper cards of a list page, for pages whose <c>data-props</c> JSON is missing or broken.
/// A card is an <c>&lt;article&gt;</c> holding a link to <c>/papers/NNNN.NNNNN</c>. Both known layouts are read: the 2024
/// one (one card per paper) and the 2025-26 one, which renders every card twice (desktop and mobile); papers are merged by
/// the id in their <c>href</c>. Cards carry neither the abstract nor the author names (only a few avatars and a count),
/// so papers read this way have an empty <see cref="Paper.Abstract"/> and no <see cref="Paper.Authors"/>.
/// </summary>
internal static partial class CardsReader
{
    private static readonly HashSet<string> NonTextElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "template", "noscript", "svg",
    };

    /// <summary>Whether the document has at least one card.</summary>
    public static bool HasCards(IHtmlDocument document) =>
        document.QuerySelectorAll("article").Any(article => FindPaperId(article) is not null);

    /// <summary>The page date the list shows: the date navigation's <c>&lt;time datetime&gt;</c> outside any card.</summary>
    public static DateOnly? ReadPageDate(IHtmlDocument document)
    {
        foreach (var time in document.QuerySelectorAll("time[datetime]"))
        {
            if (time.Closest("article") is null && PageDates.ParseIsoDate(time.GetAttribute("datetime")) is { } date)
            {
                return date;
            }
        }

        return null;
    }

    public static List<Paper> Read(IHtmlDocument document, DateOnly date, List<string> warnings)
    {
        var cards = new Dictionary<string, CardData>(StringComparer.Ordinal);
        var order = new List<string>();
        var cardNumber = 0;
        foreach (var article in document.QuerySelectorAll("article"))
        {
            cardNumber++;
            if (FindPaperId(article) is not { } id)
            {
                continue;
            }

            if (!cards.TryGetValue(id, out var card))
            {
                card = new CardData(id, cardNumber);
                cards.Add(id, card);
                order.Add(id);
            }

            card.Merge(article, warnings);
        }

        var papers = new List<Paper>(order.Count);
        foreach (var id in order)
        {
            var card = cards[id];
            if (card.Title is null)
            {
                warnings.Add($"Card {card.CardNumber} ({id}) has no title; skipped.");
                continue;
            }

            if (card.Upvotes is null)
            {
                warnings.Add($"Card {card.CardNumber} ({id}) shows no upvote count; read as 0.");
            }

            papers.Add(new Paper(id, card.Title, string.Empty, [], card.Upvotes ?? 0, date)
            {
                NumComments = card.NumComments,
                AiSummary = card.AiSummary,
                GithubRepo = card.GithubRepo,
                GithubStars = card.GithubStars,
                SubmittedBy = card.SubmittedBy,
            });
        }

        return papers;
    }

    /// <summary>The text a reader sees: text nodes only, without scripts, styles or icons, whitespace-normalized.</summary>
    internal static string VisibleText(INode node)
    {
        var builder = new StringBuilder();
        var pending = new Stack<INode>();
        pending.Push(node);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (current is IText text)
            {
                builder.Append(text.Data);
                continue;
            }

            if (current is IElement element && NonTextElements.Contains(element.LocalName))
            {
                continue;
            }

            // Elements end words for the reader (a <div> after a <span>), so keep them apart.
            builder.Append(' ');
            var children = current.ChildNodes;
            for (var index = children.Length - 1; index >= 0; index--)
            {
                pending.Push(children[index]);
            }
        }

        return TextCleaner.Normalize(builder.ToString());
    }

    /// <summary>
    /// Reads a count as shown on a card: <c>94</c>, <c>1,234</c>, <c>90.1k</c> (rounded: 90100), or <c>-</c>, which the site
    /// shows for zero.
    /// </summary>
    internal static int? ParseCount(string text)
    {
        var trimmed = text.Trim();
        if (trimmed is "-" or "–" or "—")
        {
            return 0;
        }

        var match = CountText().Match(trimmed);
        if (!match.Success)
        {
            return null;
        }

        var number = decimal.Parse(match.Groups["number"].Value.Replace(",", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture);
        var multiplier = match.Groups["unit"].Value.ToUpperInvariant() switch
        {
            "K" => 1_000m,
            "M" => 1_000_000m,
            _ => 1m,
        };
        var value = Math.Round(number * multiplier);
        return value > int.MaxValue ? int.MaxValue : (int)value;
    }

    private static string? FindPaperId(IElement article)
    {
        // Every paper link in a card (thumbnail, title, authors) points to the same paper.
        foreach (var anchor in article.QuerySelectorAll("a[href]"))
        {
            if (PaperIdFromHref(anchor.GetAttribute("href")) is { } id)
            {
                return id;
            }
        }

        return null;
    }

    private static string? PaperIdFromHref(string? href)
    {
        if (href is null)
        {
            return null;
        }

        var match = PaperHref().Match(href.Trim());
        return match.Success ? PaperIds.StripVersion(match.Groups["id"].Value) : null;
    }

    [GeneratedRegex(@"^(?:https?://(?:www\.)?huggingface\.co)?/papers/(?<id>\d{4}\.\d{4,5}(?:v\d+)?)/?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex PaperHref();

    [GeneratedRegex(@"^(?<number>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?<unit>[kKmM]?)$", RegexOptions.CultureInvariant)]
    private static partial Regex CountText();

    /// <summary>What the renderings of one paper's card show; the first rendering that shows a field wins.</summary>
    private sealed class CardData(string id, int cardNumber)
    {
        public string Id { get; } = id;

        public int CardNumber { get; } = cardNumber;

        public string? Title { get; private set; }

        public int? Upvotes { get; private set; }

        public int? NumComments { get; private set; }

        public string? AiSummary { get; private set; }

        public string? GithubRepo { get; private set; }

        public int? GithubStars { get; private set; }

        public string? SubmittedBy { get; private set; }

        public void Merge(IElement article, List<string> warnings)
        {
            foreach (var title in ReadTitles(article))
            {
                if (Title is null)
                {
                    Title = title;
                }
                else if (!string.Equals(Title, title, StringComparison.Ordinal))
                {
                    warnings.Add($"Card {CardNumber} ({Id}) shows two titles: '{Title}' and '{title}'; kept the first.");
                }
            }

            Upvotes ??= ReadUpvotes(article);
            NumComments ??= ReadComments(article);
            AiSummary ??= article.QuerySelectorAll("p").Select(VisibleText).FirstOrDefault(text => text.Length > 0);
            SubmittedBy ??= ReadSubmitter(article);
            if (GithubRepo is null && article.QuerySelector("a[href^='https://github.com/']") is { } github)
            {
                GithubRepo = github.GetAttribute("href")!.Trim();
                GithubStars = ReadStars(github);
            }
        }

        private IEnumerable<string> ReadTitles(IElement article)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var heading in article.QuerySelectorAll("h3"))
            {
                var link = heading.QuerySelectorAll("a[href]").FirstOrDefault(a => PaperIdFromHref(a.GetAttribute("href")) == Id);
                var text = VisibleText((INode?)link ?? heading);
                if (text.Length > 0 && seen.Add(text))
                {
                    yield return text;
                }
            }
        }

        private static int? ReadUpvotes(IElement article)
        {
            // Logged out, the vote control is a link to the login page holding the count (2024: <div class="leading-none">94</div>;
            // 2025-26: "Upvote <div class="font-semibold text-orange-500">90</div>"); a role=checkbox control otherwise.
            foreach (var control in article.QuerySelectorAll("a[href*='/login?next='], [role='checkbox']"))
            {
                foreach (var element in control.QuerySelectorAll("*").Where(e => e.ChildElementCount == 0))
                {
                    if (ParseCount(VisibleText(element)) is { } count)
                    {
                        return count;
                    }
                }
            }

            return null;
        }

        private static int? ReadComments(IElement article) =>
            article.QuerySelectorAll("a[href$='#community']")
                .Select(link => ParseCount(VisibleText(link)))
                .FirstOrDefault(count => count is not null);

        private static string? ReadSubmitter(IElement article)
        {
            const string Marker = "Submitted by";
            foreach (var node in article.GetDescendants())
            {
                if (node is IText text && text.Data.Contains(Marker, StringComparison.Ordinal) && text.ParentElement is { } parent)
                {
                    var shown = VisibleText(parent);
                    var start = shown.IndexOf(Marker, StringComparison.Ordinal) + Marker.Length;
                    return TextCleaner.NormalizeOrNull(shown[start..]);
                }
            }

            return null;
        }

        private static int? ReadStars(IElement githubLink)
        {
            // "GitHub 90.1k": the count is the last word.
            var words = VisibleText(githubLink).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return words.Length > 1 ? ParseCount(words[^1]) : null;
        }
    }
}
