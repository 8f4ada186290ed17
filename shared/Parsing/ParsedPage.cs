using Digest.Papers;

namespace Digest.Parsing;

/// <summary>Which way the parser read a page. Stored with each snapshot's outcome.</summary>
public enum ParsePath
{
    /// <summary>The <c>data-props</c> JSON of the <c>DailyPapers</c> island of a list page.</summary>
    DataProps,

    /// <summary>The server-rendered cards of a list page (when the JSON is missing).</summary>
    Cards,

    /// <summary>A <c>/api/daily_papers</c> JSON response.</summary>
    ApiJson,

    /// <summary>The plain-text rendering of a list page (the seed pages).</summary>
    PlainText,
}

/// <summary>What a page held.</summary>
/// <param name="Papers">The papers, one per id, in page order.</param>
/// <param name="Path">How the page was read.</param>
/// <param name="PageDate">The daily date the page says it shows, when it says one.</param>
/// <param name="Warnings">Things worth reporting that did not stop the parse (a card without an id, a duplicate…).</param>
public sealed record ParsedPage(
    IReadOnlyList<Paper> Papers,
    ParsePath Path,
    DateOnly? PageDate,
    IReadOnlyList<string> Warnings);
