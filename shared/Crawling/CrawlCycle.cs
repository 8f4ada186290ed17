using Digest.Snapshots;
using Digest.Sources;
using Digest.Storage;
using Digest.Telemetry;

namespace Digest.Crawling;

/// <summary>What one cycle did, for people (<c>digest once</c>) and scripts (<c>--json</c>).</summary>
public sealed record CrawlReport(
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    IReadOnlyList<PageFetchResult> Pages,
    IReadOnlyList<SnapshotParseResult> Snapshots,
    StorageTransactions StorageTransactions)
{
    public int ChangeCount(string kind) =>
        Snapshots.Sum(snapshot => snapshot.ChangesByKind.GetValueOrDefault(kind));

    /// <summary>Pages whose fetch succeeded: stored, unchanged or not modified.</summary>
    public int FetchedCount => Pages.Count(page => page.State != PageFetchState.Failed);

    public int FailedFetchCount => Pages.Count(page => page.State == PageFetchState.Failed);

    /// <summary>The run planned pages and could fetch none of them: offline, the site down, or every page refused.</summary>
    public bool NothingFetched => Pages.Count > 0 && FetchedCount == 0;

    public bool HasFailures =>
        Pages.Any(page => page.State == PageFetchState.Failed) || Snapshots.Any(snapshot => snapshot.Outcome == SnapshotOutcome.Failed);

    /// <summary>This report (a snapshot run's) followed by <paramref name="next"/> (the parse run after it), as one cycle.</summary>
    public CrawlReport Then(CrawlReport next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return new CrawlReport(StartedAt, next.FinishedAt, [.. Pages, .. next.Pages], [.. Snapshots, .. next.Snapshots], StorageTransactions + next.StorageTransactions);
    }
}

/// <summary>The crawl pipeline's entry points: one method per timer function and per command.</summary>
/// <remarks>
/// The storage transactions a report counts start after the tables and container are known to exist: creating
/// them costs five idempotent requests once per process, not per cycle.
/// </remarks>
public sealed class CrawlCycle(
    DigestStorage storage,
    SnapshotDigests snapshotDigests,
    ParseAndDiff parseAndDiff,
    StorageRequestCounter storageRequests,
    TimeProvider timeProvider)
{
    /// <summary>The activity of a full cycle (<c>digest once</c>): the two steps' activities are its children, so one
    /// trace shows the fetches and the parses of a cycle.</summary>
    public const string ActivityName = nameof(CrawlCycle);

    /// <summary>The SnapshotDigests timer: fetch and store new versions of the watched pages.</summary>
    public Task<CrawlReport> SnapshotAsync(CancellationToken cancellationToken) =>
        SnapshotAsync(null, cancellationToken);

    /// <summary>Fetches and stores new versions of the given pages (or those planned for now).</summary>
    public async Task<CrawlReport> SnapshotAsync(IReadOnlyList<PageRequest>? pages, CancellationToken cancellationToken)
    {
        var (started, before) = await StartAsync(cancellationToken);
        var fetched = pages is null
            ? await snapshotDigests.RunAsync(cancellationToken)
            : await snapshotDigests.RunAsync(pages, cancellationToken);
        return new CrawlReport(started, timeProvider.GetUtcNow(), fetched, [], storageRequests.Current - before);
    }

    /// <summary>The ParseAndDiff timer: parse and diff every snapshot not parsed yet (including those a crash left).</summary>
    public async Task<CrawlReport> ParseAsync(CancellationToken cancellationToken)
    {
        var (started, before) = await StartAsync(cancellationToken);
        var parsed = await parseAndDiff.RunAsync(cancellationToken);
        return new CrawlReport(started, timeProvider.GetUtcNow(), [], parsed, storageRequests.Current - before);
    }

    /// <summary>Parses what is pending on the pages a snapshot run just fetched (<paramref name="fetched"/>): the page rows
    /// it read tell what is pending, so an unchanged page costs no further read.</summary>
    public async Task<CrawlReport> ParseAsync(CrawlReport fetched, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fetched);
        var (started, before) = await StartAsync(cancellationToken);
        var parsed = await parseAndDiff.RunAsync(fetched.Pages.Select(page => page.Page).OfType<PageRow>(), cancellationToken);
        return new CrawlReport(started, timeProvider.GetUtcNow(), [], parsed, storageRequests.Current - before);
    }

    /// <summary>One full cycle now: snapshot the pages planned for now, then parse what is pending on them.</summary>
    public Task<CrawlReport> RunOnceAsync(CancellationToken cancellationToken) =>
        RunOnceAsync(null, cancellationToken);

    /// <summary>One full cycle on the given pages (or those planned for now).</summary>
    public async Task<CrawlReport> RunOnceAsync(IReadOnlyList<PageRequest>? pages, CancellationToken cancellationToken)
    {
        using var activity = DigestTelemetry.Source.StartActivity(ActivityName);
        var fetched = await SnapshotAsync(pages, cancellationToken);
        return fetched.Then(await ParseAsync(fetched, cancellationToken));
    }

    /// <summary>Parses every stored snapshot again with the current parser.</summary>
    public async Task<CrawlReport> ReparseAsync(CancellationToken cancellationToken)
    {
        var (started, before) = await StartAsync(cancellationToken);
        var parsed = await parseAndDiff.ReparseAsync(cancellationToken);
        return new CrawlReport(started, timeProvider.GetUtcNow(), [], parsed, storageRequests.Current - before);
    }

    private async Task<(DateTimeOffset Started, StorageTransactions Before)> StartAsync(CancellationToken cancellationToken)
    {
        await storage.EnsureCreatedAsync(cancellationToken);
        return (timeProvider.GetUtcNow(), storageRequests.Current);
    }
}
