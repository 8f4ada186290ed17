using System.Globalization;
using Digest.Crawling;
using Digest.Papers;
using Digest.Snapshots;
using Digest.Sources;
using Digest.Steps.Runs;

namespace Digest.Steps;

/// <summary>
/// The crawl steps of <see cref="DigestSteps.All"/> as every host runs them: <see cref="CrawlCycle"/>'s method under the
/// <see cref="StepRunner"/>, which logs a summary line and records the run for <c>digest status</c>. The hosts' timer
/// functions call the first two methods; <c>digest once</c> (<see cref="DigestCycle"/>) the other two.
/// </summary>
public sealed class CrawlSteps(CrawlCycle cycle, StepRunner runner)
{
    /// <summary>The <c>SnapshotDigests</c> step: fetch and store new versions of the watched pages.</summary>
    public Task<CrawlReport> SnapshotDigestsAsync(CancellationToken cancellationToken) =>
        SnapshotPagesAsync(null, cancellationToken);

    /// <summary>The <c>ParseAndDiff</c> step: parse and diff every snapshot not parsed yet.</summary>
    public Task<CrawlReport> ParseAndDiffAsync(CancellationToken cancellationToken) =>
        runner.RunAsync(DigestSteps.ParseAndDiff, cycle.ParseAsync, SummarizeParse, cancellationToken);

    /// <summary>The <c>SnapshotDigests</c> step on the given pages (or those planned for now).</summary>
    public Task<CrawlReport> SnapshotPagesAsync(IReadOnlyList<PageRequest>? pages, CancellationToken cancellationToken) =>
        runner.RunAsync(DigestSteps.SnapshotDigests, token => cycle.SnapshotAsync(pages, token), SummarizeSnapshot, cancellationToken);

    /// <summary>The <c>ParseAndDiff</c> step on what is pending on the pages a snapshot run just fetched.</summary>
    public Task<CrawlReport> ParseFetchedAsync(CrawlReport fetched, CancellationToken cancellationToken) =>
        runner.RunAsync(DigestSteps.ParseAndDiff, token => cycle.ParseAsync(fetched, token), SummarizeParse, cancellationToken);

    private static string SummarizeSnapshot(CrawlReport report) => string.Create(CultureInfo.InvariantCulture,
        $"{report.Pages.Count} pages: {report.Pages.Count(page => page.State == PageFetchState.Stored)} stored, " +
        $"{report.Pages.Count(page => page.State is PageFetchState.NotModified or PageFetchState.Unchanged)} unchanged, {report.FailedFetchCount} failed");

    private static string SummarizeParse(CrawlReport report) => string.Create(CultureInfo.InvariantCulture,
        $"{report.Snapshots.Count} snapshots: {report.Snapshots.Count(snapshot => snapshot.Outcome == SnapshotOutcome.Parsed)} parsed, " +
        $"{report.Snapshots.Count(snapshot => snapshot.Outcome == SnapshotOutcome.Failed)} failed; papers {report.ChangeCount(ChangeKind.New)} new, " +
        $"{report.ChangeCount(ChangeKind.Updated)} updated, {report.ChangeCount(ChangeKind.UpvotesChanged)} upvotes changed, {report.ChangeCount(ChangeKind.Removed)} removed");
}
