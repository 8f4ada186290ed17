using System.Text;
using Digest.Papers;

namespace Digest.Rules;

/// <summary>A paper a previewed rule matches, with what to highlight.</summary>
/// <param name="Paper">The paper.</param>
/// <param name="MatchedWords">What matched where.</param>
/// <param name="Highlights">The spans of the paper's original text to highlight.</param>
public sealed record RulePreviewMatch(Paper Paper, IReadOnlyList<MatchedWord> MatchedWords, IReadOnlyList<WordHighlight> Highlights)
{
    /// <summary>The title with each highlighted span wrapped in <paramref name="open"/> and <paramref name="close"/>.</summary>
    public string HighlightTitle(string open, string close) =>
        RuleHighlighter.Wrap(Paper.Title, Highlights, PaperField.Title, 0, open, close);

    /// <summary>The abstract with each highlighted span wrapped in <paramref name="open"/> and <paramref name="close"/>.</summary>
    public string HighlightAbstract(string open, string close) =>
        RuleHighlighter.Wrap(Paper.Abstract, Highlights, PaperField.Abstract, 0, open, close);

    /// <summary>The authors, each with its highlighted spans wrapped in <paramref name="open"/> and <paramref name="close"/>.</summary>
    public IReadOnlyList<string> HighlightAuthors(string open, string close)
    {
        var authors = new string[Paper.Authors.Count];
        for (var i = 0; i < authors.Length; i++)
        {
            authors[i] = RuleHighlighter.Wrap(Paper.Authors[i], Highlights, PaperField.Authors, i, open, close);
        }

        return authors;
    }
}

/// <summary>The outcome of <see cref="RulePreview.Run"/>: the rule's error, or the papers it matches.</summary>
/// <param name="Rule">The parsed rule, when the text parsed.</param>
/// <param name="Error">Why the text did not parse.</param>
/// <param name="Matches">The matching papers in the order given; empty when there is an error.</param>
public sealed record RulePreviewResult(Rule? Rule, RuleError? Error, IReadOnlyList<RulePreviewMatch> Matches);

/// <summary>Tries a rule text on some papers, for <c>digest rules test</c> and the bot's "try this rule".</summary>
public static class RulePreview
{
    /// <summary>Parses <paramref name="ruleText"/> and evaluates it on each of <paramref name="papers"/>. For a <c>like:</c>
    /// term, the matched words are the reference paper's weighted words the paper has: the words that made it similar.</summary>
    /// <param name="ruleText">The rule.</param>
    /// <param name="papers">The papers to try it on.</param>
    /// <param name="corpus">The stored papers' statistics, for <c>like:</c>; without them a <c>like:</c> rule is an error.</param>
    public static RulePreviewResult Run(string ruleText, IReadOnlyList<Paper> papers, CorpusStatistics? corpus = null)
    {
        ArgumentNullException.ThrowIfNull(ruleText);
        ArgumentNullException.ThrowIfNull(papers);
        var parsed = RuleParser.Parse(ruleText, corpus);
        if (!parsed.IsSuccess)
        {
            return new RulePreviewResult(null, parsed.Error, []);
        }

        var matches = new List<RulePreviewMatch>();
        foreach (var paper in papers)
        {
            var evaluation = RuleEvaluator.Evaluate(parsed.Rule, paper);
            if (evaluation.IsMatch)
            {
                matches.Add(new RulePreviewMatch(paper, evaluation.MatchedWords, evaluation.Highlights));
            }
        }

        return new RulePreviewResult(parsed.Rule, null, matches);
    }
}

/// <summary>Renders highlights into text with markers the caller chooses (<c>**</c> for Markdown, ANSI colours for a console).</summary>
public static class RuleHighlighter
{
    /// <summary>
    /// Wraps the spans of <paramref name="highlights"/> that belong to <paramref name="field"/> (and to author
    /// <paramref name="authorIndex"/> for authors) in <paramref name="open"/> and <paramref name="close"/>. Spans separated only by
    /// spaces or hyphens are wrapped together, so a phrase reads as one highlight (<c>**low-rank**</c>).
    /// The text between highlights is copied unchanged: escaping it for a markup is the caller's business.
    /// </summary>
    public static string Wrap(string text, IReadOnlyList<WordHighlight> highlights, PaperField field, int authorIndex, string open, string close)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(highlights);
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(close);
        var spans = new List<(int Start, int End)>();
        foreach (var highlight in highlights)
        {
            if (highlight.Field == field && (field != PaperField.Authors || highlight.AuthorIndex == authorIndex)
                && highlight.Start >= 0 && highlight.Start + highlight.Length <= text.Length && highlight.Length > 0)
            {
                spans.Add((highlight.Start, highlight.Start + highlight.Length));
            }
        }

        if (spans.Count == 0)
        {
            return text;
        }

        spans.Sort();
        var merged = new List<(int Start, int End)> { spans[0] };
        for (var i = 1; i < spans.Count; i++)
        {
            var (start, end) = spans[i];
            var last = merged[^1];
            if (start <= last.End || IsJoiner(text.AsSpan(last.End, start - last.End)))
            {
                merged[^1] = (last.Start, Math.Max(last.End, end));
            }
            else
            {
                merged.Add((start, end));
            }
        }

        var builder = new StringBuilder(text.Length + (merged.Count * (open.Length + close.Length)));
        var position = 0;
        foreach (var (start, end) in merged)
        {
            builder.Append(text, position, start - position).Append(open).Append(text, start, end - start).Append(close);
            position = end;
        }

        return builder.Append(text, position, text.Length - position).ToString();
    }

    private static bool IsJoiner(ReadOnlySpan<char> gap)
    {
        foreach (var c in gap)
        {
            if (c != '-' && c != ' ')
            {
                return false;
            }
        }

        return true;
    }
}
