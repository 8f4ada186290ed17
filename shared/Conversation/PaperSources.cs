using Azure.Data.Tables;
using Digest.Papers;
using Digest.Snapshots;
using Digest.Storage;

namespace Digest.Conversation;

/// <summary>What the crawler last did, for <c>status</c>.</summary>
/// <param name="LastCrawlAt">When a page was last fetched, if ever.</param>
/// <param name="PapersToday">Papers listed for today's UTC date.</param>
public sealed record CrawlStatus(DateTimeOffset? LastCrawlAt, int PapersToday);

/// <summary>The papers the bot previews and sends: a read-only view of the crawl's tables.</summary>
public interface IPaperSource
{
    /// <summary>Papers the crawl saw for the first time (their <c>New</c> change) in [<paramref name="since"/>,
    /// <paramref name="until"/>), the notion of "new" deliveries go by; most upvoted first.</summary>
    Task<IReadOnlyList<Paper>> ListNewAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken);

    /// <summary>The crawl's latest status.</summary>
    Task<CrawlStatus> GetCrawlStatusAsync(CancellationToken cancellationToken);
}

/// <summary><see cref="IPaperSource"/> over the crawl pipeline's <c>papers</c>, <c>changes</c> and <c>pages</c> tables.</summary>
public sealed class StoredPaperSource(PaperStore papers, DigestStorage storage, TimeProvider time) : IPaperSource
{
    public async Task<IReadOnlyList<Paper>> ListNewAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var changes = await papers.ListChangesSinceAsync(since, cancellationToken).ConfigureAwait(false);
        var ids = changes
            .Where(change => change.Kind == ChangeKind.New && change.DetectedAt < until)
            .Select(change => change.PaperId)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (ids.Count == 0)
        {
            return [];
        }

        var rows = await papers.ReadAsync(ids, cancellationToken).ConfigureAwait(false);
        return [.. ids.Where(rows.ContainsKey).Select(id => rows[id].ToPaper())
            .OrderByDescending(paper => paper.Upvotes).ThenBy(paper => paper.Id, StringComparer.Ordinal)];
    }

    public async Task<CrawlStatus> GetCrawlStatusAsync(CancellationToken cancellationToken)
    {
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset? last = null;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PageRow.Partition}");
        await foreach (var page in storage.Pages.QueryAsync<PageRow>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (page.LatestFetchedAt is { } fetched && (last is null || fetched > last))
            {
                last = fetched;
            }
        }

        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var listedToday = await papers.ListByDateAsync(today, today, cancellationToken).ConfigureAwait(false);
        return new CrawlStatus(last, listedToday.Count);
    }
}
