using System.Globalization;
using System.Text.RegularExpressions;
using Digest.Papers;

namespace Digest.Parsing;

/// <summary>
/// Reads the plain-text rendering of a list page (the seed pages): a few header lines, a date without a year
/// (<c>Mar 13</c>), then paragraphs separated by blank lines, alternating title and abstract.
/// </summary>
internal static partial class PlainTextPageReader
{
    /// <summary>How far into the page the date line may be; the real header has four lines before it.</summary>
    private const int MaxHeaderParagraphs = 12;

    /// <summary>Longer than any arXiv title seen (the corpus maximum is 178 characters); a longer "title" is likely an abstract.</summary>
    private const int SuspiciousTitleLength = 400;

    private static readonly HashSet<string> KnownHeaderLines = new(StringComparer.OrdinalIgnoreCase)
    {
        "new",
        "Get trending papers in your email inbox!",
        "Subscribe",
        "byAK and the research community",
        "by AK and the research community",
        "Daily Papers",
    };

    /// <summary>Whether the text starts like a seed page: its first paragraph is a known header line or a date line.</summary>
    public static bool LooksLikePlainTextPage(string text)
    {
        var paragraphs = SplitParagraphs(text, maxParagraphs: MaxHeaderParagraphs);
        return paragraphs.Count > 0
            && paragraphs.Exists(p => KnownHeaderLines.Contains(p.Text) || TryReadDateLine(p.Text, out _, out _, out _));
    }

    public static ParsedPage Read(string text, PageToParse page, List<string> warnings)
    {
        var paragraphs = SplitParagraphs(text, maxParagraphs: int.MaxValue);
        var dateIndex = -1;
        DateOnly pageDate = default;
        for (var index = 0; index < Math.Min(paragraphs.Count, MaxHeaderParagraphs); index++)
        {
            if (TryReadDateLine(paragraphs[index].Text, out var month, out var day, out var year))
            {
                var fetchedOn = DateOnly.FromDateTime(page.FetchedAt.UtcDateTime);
                pageDate = year is { } explicitYear
                    ? new DateOnly(explicitYear, month, day)
                    : PageDates.ResolveYearless(month, day, fetchedOn);
                dateIndex = index;
                break;
            }
        }

        if (dateIndex < 0)
        {
            var first = paragraphs.Count > 0 ? Excerpt(paragraphs[0].Text) : "(nothing)";
            throw new PageParseException(
                $"Plain-text page has no date line such as 'Mar 13' in its first {MaxHeaderParagraphs} paragraphs " +
                $"(first paragraph, line {(paragraphs.Count > 0 ? paragraphs[0].Line : 0)}: '{first}').");
        }

        for (var index = 0; index < dateIndex; index++)
        {
            if (!KnownHeaderLines.Contains(paragraphs[index].Text))
            {
                warnings.Add($"Line {paragraphs[index].Line}: skipped unknown header text '{Excerpt(paragraphs[index].Text)}'.");
            }
        }

        var papers = new PaperCollector(warnings);
        var body = paragraphs.Count - dateIndex - 1;
        for (var index = dateIndex + 1; index < paragraphs.Count; index += 2)
        {
            var title = paragraphs[index];
            var hasAbstract = index + 1 < paragraphs.Count;
            if (!hasAbstract)
            {
                // The format has no marker that tells a title from an abstract, so an odd paragraph count cannot be
                // repaired; the last title is kept without its abstract and the page is flagged.
                warnings.Add($"Line {title.Line}: the page has an odd number ({body}) of title/abstract paragraphs; " +
                    $"the last title '{Excerpt(title.Text)}' has no abstract.");
            }

            if (title.Text.Length > SuspiciousTitleLength)
            {
                warnings.Add($"Line {title.Line}: a {title.Text.Length}-character title looks like an abstract; " +
                    "title/abstract pairing may be off from here.");
            }

            if (PaperIds.NormalizeTitleForId(title.Text).Length == 0)
            {
                warnings.Add($"Line {title.Line}: title '{Excerpt(title.Text)}' has no letter or digit to key it by; skipped with its abstract.");
                continue;
            }

            var paper = new Paper(
                PaperIds.FromTitle(title.Text),
                title.Text,
                hasAbstract ? paragraphs[index + 1].Text : string.Empty,
                [],
                0,
                pageDate);
            papers.Add(paper, $"line {title.Line}");
        }

        return new ParsedPage(papers.Papers, ParsePath.PlainText, pageDate, warnings);
    }

    private static bool TryReadDateLine(string text, out int month, out int day, out int? year)
    {
        month = 0;
        day = 0;
        year = null;
        var match = DateLine().Match(text);
        if (!match.Success)
        {
            return false;
        }

        month = PageDates.MonthNumber(match.Groups["month"].Value);
        day = int.Parse(match.Groups["day"].Value, CultureInfo.InvariantCulture);
        if (match.Groups["year"].Success)
        {
            year = int.Parse(match.Groups["year"].Value, CultureInfo.InvariantCulture);
        }

        var maxDay = year is { } y && month > 0 ? DateTime.DaysInMonth(y, month) : month == 2 ? 29 : 31;
        return month > 0 && day >= 1 && day <= maxDay;
    }

    /// <summary>Paragraphs are runs of non-blank lines; the lines of one paragraph are joined and whitespace-normalized.</summary>
    private static List<Paragraph> SplitParagraphs(string text, int maxParagraphs)
    {
        var paragraphs = new List<Paragraph>();
        var lineNumber = 0;
        var startLine = 0;
        var current = new List<string>();
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            var line = rawLine.Trim();
            if (line.IsEmpty)
            {
                Flush();
                if (paragraphs.Count >= maxParagraphs)
                {
                    return paragraphs;
                }

                continue;
            }

            if (current.Count == 0)
            {
                startLine = lineNumber;
            }

            current.Add(line.ToString());
        }

        Flush();
        return paragraphs;

        void Flush()
        {
            if (current.Count == 0)
            {
                return;
            }

            var joined = TextCleaner.Normalize(current.Count == 1 ? current[0] : string.Join(' ', current));
            current.Clear();
            if (joined.Length > 0)
            {
                paragraphs.Add(new Paragraph(joined, startLine));
            }
        }
    }

    private static string Excerpt(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");

    [GeneratedRegex(@"^(?<month>[A-Za-z]{3,9})\.?\s+(?<day>\d{1,2})(?:,?\s+(?<year>\d{4}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex DateLine();

    private readonly record struct Paragraph(string Text, int Line);
}
