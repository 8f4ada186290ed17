using Digest.Papers;

namespace Digest.Bot;

/// <summary>What the crawler last did, for <c>status</c>.</summary>
/// <param name="LastCrawlAt">When the last crawl finished, if any ran.</param>
/// <param name="PapersToday">Papers listed for today's UTC date.</param>
public sealed record CrawlStatus(DateTimeOffset? LastCrawlAt, int PapersToday);

/// <summary>The papers the bot previews and sends: a read-only view of the crawl's papers table.</summary>
public interface IPaperSource
{
    /// <summary>Papers first seen by the crawl in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    Task<IReadOnlyList<Paper>> ListRecentAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);

    /// <summary>The crawl's latest status.</summary>
    Task<CrawlStatus> GetCrawlStatusAsync(CancellationToken cancellationToken);
}

/// <summary>A rule the user typed, checked: either an error pointing at the problem, or fine.</summary>
/// <param name="Error">The parser's message, shown to the user exactly; null when the rule is valid.</param>
/// <param name="Position">The 0-based character position of the problem, when known.</param>
public sealed record RuleCheck(string? Error, int? Position)
{
    public bool IsValid => Error is null;
}

/// <summary>One paper a rule matched, with the words that made it match.</summary>
public sealed record RuleHit(Paper Paper, IReadOnlyList<string> Highlights);

/// <summary>The rule language, as the bot needs it: check a rule, and run it over papers.</summary>
public interface IRuleEngine
{
    RuleCheck Check(string ruleText);

    /// <summary>The papers <paramref name="ruleText"/> matches, in the order given. The rule must be valid.</summary>
    IReadOnlyList<RuleHit> Match(string ruleText, IReadOnlyList<Paper> papers);
}
