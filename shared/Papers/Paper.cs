namespace Digest.Papers;

/// <summary>One paper as a Daily Papers page lists it on one day.</summary>
/// <param name="Id">The version-less arXiv id (<c>2407.21783</c>), or for a paper without one a stable id derived from its normalized title (<c>title-…</c>).</param>
/// <param name="Title">The title, whitespace-normalized.</param>
/// <param name="Abstract">The abstract (the paper's summary), whitespace-normalized; empty when the page does not carry it.</param>
/// <param name="Authors">Author names in page order.</param>
/// <param name="Upvotes">Upvotes when the page was fetched.</param>
/// <param name="Date">The daily bucket (UTC date) the paper was listed under.</param>
public sealed record Paper(
    string Id,
    string Title,
    string Abstract,
    IReadOnlyList<string> Authors,
    int Upvotes,
    DateOnly Date)
{
    /// <summary>Number of comments, when the page carries it.</summary>
    public int? NumComments { get; init; }

    /// <summary>When arXiv published the paper, when known.</summary>
    public DateTimeOffset? PublishedAt { get; init; }

    /// <summary>The AI-generated one-line summary (2025 on).</summary>
    public string? AiSummary { get; init; }

    /// <summary>The AI-extracted keywords (2025 on).</summary>
    public IReadOnlyList<string> AiKeywords { get; init; } = [];

    /// <summary>The organization the paper is filed under, when any.</summary>
    public string? Organization { get; init; }

    /// <summary>The paper's code repository, when any.</summary>
    public string? GithubRepo { get; init; }

    /// <summary>Stars of <see cref="GithubRepo"/>, when known.</summary>
    public int? GithubStars { get; init; }

    /// <summary>Who submitted the paper to Daily Papers, when known.</summary>
    public string? SubmittedBy { get; init; }
}
