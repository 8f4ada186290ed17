using Digest.Papers;

namespace Digest.Delivery;

/// <summary>
/// The papers that changes recorded since a time re-open for matching, in their latest state, with what is needed to
/// tell, for a subscription whose window starts later, whether a rule newly matches.
/// </summary>
/// <remarks>
/// <para>Three kinds of change re-open matching: <see cref="ChangeKind.New"/> (a paper first seen);
/// <see cref="ChangeKind.UpvotesChanged"/> (so that <c>upvotes&gt;=50</c> fires when a paper reaches 50, not only if it
/// had 50 when first seen); and <see cref="ChangeKind.Updated"/> of the text rules read (title, abstract, authors),
/// since a corrected abstract can be what makes a paper relevant. Removals and other fields (summary, keywords, links)
/// do not.</para>
/// <para>A paper whose only re-opening changes in a window are upvote changes is a candidate only where the rule did not
/// match the paper as it was when the window opened (the old upvotes of the first change in it): a threshold crossing.
/// Keyword rules do not depend on upvotes, so an upvote change never re-sends a paper for them. The change log keeps no
/// old text, so an updated paper is a candidate whenever it matches; the receipts make sure it reaches a subscription at
/// most once either way.</para>
/// </remarks>
public sealed class ChangedPapers
{
    private static readonly string[] TextFields = ["title", "abstract", "authors"];

    private readonly Dictionary<string, PaperHistory> _histories;

    private ChangedPapers(IReadOnlyList<Paper> current, Dictionary<string, PaperHistory> histories)
    {
        Current = current;
        _histories = histories;
    }

    /// <summary>The papers, in their latest stored state, ordered by id.</summary>
    public IReadOnlyList<Paper> Current { get; }

    /// <summary>Reads the change log since <paramref name="since"/> and the rows of the papers it re-opens.</summary>
    public static async Task<ChangedPapers> ReadAsync(PaperStore papers, DateTimeOffset since, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(papers);
        var histories = new Dictionary<string, PaperHistory>(StringComparer.Ordinal);
        foreach (var change in await papers.ListChangesSinceAsync(since, cancellationToken).ConfigureAwait(false))
        {
            var reopens = change.Kind switch
            {
                ChangeKind.New => true,
                ChangeKind.UpvotesChanged => change.OldUpvotes is not null,
                ChangeKind.Updated => change.Fields?.Split(',').Any(field => TextFields.Contains(field, StringComparer.Ordinal)) == true,
                _ => false,
            };
            if (reopens)
            {
                if (!histories.TryGetValue(change.PaperId, out var history))
                {
                    histories[change.PaperId] = history = new PaperHistory();
                }

                history.Changes.Add(change);
            }
        }

        if (histories.Count == 0)
        {
            return new ChangedPapers([], histories);
        }

        // The change log lists changes in the order they were seen, so each history is in time order.
        var rows = await papers.ReadAsync(histories.Keys, cancellationToken).ConfigureAwait(false);
        return new ChangedPapers([.. rows.Values.Select(row => row.ToPaper()).OrderBy(paper => paper.Id, StringComparer.Ordinal)], histories);
    }

    /// <summary>When the first change at or after <paramref name="since"/> re-opened <paramref name="paperId"/>, or
    /// null when none did.</summary>
    public DateTimeOffset? ReopenedAt(string paperId, DateTimeOffset since) =>
        _histories.TryGetValue(paperId, out var history) && history.FirstAtOrAfter(since) is { } change ? change.DetectedAt : null;

    /// <summary>The trace context (<c>traceparent</c>) of the fetch behind the first change at or after
    /// <paramref name="since"/> that re-opened <paramref name="paperId"/>, when the crawl recorded one.</summary>
    public string? TraceParentOf(string paperId, DateTimeOffset since) =>
        _histories.TryGetValue(paperId, out var history) ? history.FirstAtOrAfter(since)?.TraceParent : null;

    /// <summary>The papers whose only re-opening changes since <paramref name="since"/> are upvote changes, as they
    /// were at <paramref name="since"/> (their upvotes before the first of those changes). A rule that matched such a
    /// paper then has not crossed into matching it since.</summary>
    public IReadOnlyList<Paper> UpvotesOnlyAsOf(DateTimeOffset since) =>
        [.. Current
            .Select(paper => (Paper: paper, Changes: _histories[paper.Id].Changes.Where(change => change.DetectedAt >= since).ToList()))
            .Where(entry => entry.Changes.Count > 0 && entry.Changes.TrueForAll(change => change.Kind == ChangeKind.UpvotesChanged))
            .Select(entry => entry.Paper with { Upvotes = entry.Changes[0].OldUpvotes!.Value })];

    private sealed class PaperHistory
    {
        public List<ChangeRow> Changes { get; } = [];

        public ChangeRow? FirstAtOrAfter(DateTimeOffset since) => Changes.Find(change => change.DetectedAt >= since);
    }
}
