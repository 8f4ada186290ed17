using Azure;
using Azure.Data.Tables;
using Digest.Papers;
using Digest.Parsing;
using Digest.Snapshots;
using Digest.Storage;
using Digest.Telemetry;
using Microsoft.Extensions.Logging;

namespace Digest.Crawling;

/// <summary>The outcome of parsing one snapshot.</summary>
public sealed record SnapshotParseResult(string SnapshotId, string Outcome, string? Path, int PaperCount, int ChangeCount, string? Error)
{
    /// <summary>The changes by kind (New, Updated, UpvotesChanged, Removed).</summary>
    public IReadOnlyDictionary<string, int> ChangesByKind { get; init; } = new Dictionary<string, int>();
}

/// <summary>
/// Step two of the flow: parse each snapshot that has not been parsed yet, diff it against the stored papers and
/// write papers and changes. A page that fails to parse is recorded as failed and skipped; it never stops the others.
/// </summary>
public sealed partial class ParseAndDiff(
    DigestStorage storage,
    SnapshotStore snapshots,
    PaperStore papers,
    PageParser parser,
    TimeProvider timeProvider,
    DigestMetrics metrics,
    ILogger<ParseAndDiff> logger)
{
    /// <summary>The name of the step's activity.</summary>
    public const string ActivityName = nameof(ParseAndDiff);

    /// <summary>The activity of parsing one snapshot, linked to the fetch that stored it.</summary>
    public const string ParseActivityName = "ParseSnapshot";

    private const int MaxConflictRetries = 5;

    /// <summary>Parses the pending snapshots of every page.</summary>
    public Task<IReadOnlyList<SnapshotParseResult>> RunAsync(CancellationToken cancellationToken) =>
        RunStepAsync("pending", async token =>
        {
            await storage.EnsureCreatedAsync(token);
            return await FindPendingAsync(await ListPagesAsync(token), token);
        }, cancellationToken);

    /// <summary>Parses the pending snapshots of the given pages (as the snapshot step left them).</summary>
    public Task<IReadOnlyList<SnapshotParseResult>> RunAsync(IEnumerable<PageRow> pages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pages);
        return RunStepAsync("pending", token => FindPendingAsync(pages, token), cancellationToken);
    }

    private async Task<List<(PageRow Page, SnapshotRow Snapshot)>> FindPendingAsync(IEnumerable<PageRow> pages, CancellationToken cancellationToken)
    {
        var pending = new List<(PageRow Page, SnapshotRow Snapshot)>();
        foreach (var page in pages.Where(page => page.HasPendingSnapshot))
        {
            var filter = page.ParsedSnapshot is null
                ? TableClient.CreateQueryFilter($"PartitionKey eq {page.RowKey}")
                : TableClient.CreateQueryFilter($"PartitionKey eq {page.RowKey} and RowKey gt {page.ParsedSnapshot}");
            pending.AddRange((await ListSnapshotsAsync(filter, cancellationToken)).Select(snapshot => (page, snapshot)));
        }

        return pending;
    }

    /// <summary>
    /// Parses every stored snapshot again with the current parser: failed pages get a second chance after a parser
    /// fix, and what they hold is diffed in. Snapshots older than a paper's stored values never roll it back, and
    /// change rows already written are written to the same keys.
    /// </summary>
    public Task<IReadOnlyList<SnapshotParseResult>> ReparseAsync(CancellationToken cancellationToken) =>
        RunStepAsync("reparse", async token =>
        {
            await storage.EnsureCreatedAsync(token);
            var all = new List<(PageRow Page, SnapshotRow Snapshot)>();
            foreach (var page in await ListPagesAsync(token))
            {
                page.Members = null;
                var filter = TableClient.CreateQueryFilter($"PartitionKey eq {page.RowKey}");
                all.AddRange((await ListSnapshotsAsync(filter, token)).Select(snapshot => (page, snapshot)));
            }

            return all;
        }, cancellationToken);

    /// <summary>One run of the step: its activity, the work it finds, and one summary line whatever happens.</summary>
    private async Task<IReadOnlyList<SnapshotParseResult>> RunStepAsync(
        string mode, Func<CancellationToken, Task<List<(PageRow Page, SnapshotRow Snapshot)>>> findWork, CancellationToken cancellationToken)
    {
        using var activity = DigestTelemetry.Source.StartActivity(ActivityName);
        activity?.SetTag("digest.parse.mode", mode);
        var started = timeProvider.GetTimestamp();
        try
        {
            var results = await ParseInOrderAsync(await findWork(cancellationToken), cancellationToken);
            LogRunSummary(
                logger,
                mode,
                results.Count,
                results.Count(result => result.Outcome == SnapshotOutcome.Failed),
                results.Sum(result => result.ChangesByKind.GetValueOrDefault(ChangeKind.New)),
                results.Sum(result => result.ChangeCount),
                timeProvider.GetElapsedTime(started));
            activity?.SetTag("digest.snapshots.parsed", results.Count);
            return results;
        }
        catch (Exception exception)
        {
            // Recorded and passed on: the host decides what a failed run means.
            DigestTelemetry.RecordFailure(activity, exception);
            LogRunFailed(logger, mode, timeProvider.GetElapsedTime(started), exception);
            throw;
        }
    }

    private ValueTask<List<PageRow>> ListPagesAsync(CancellationToken cancellationToken) =>
        storage.Pages.QueryAsync<PageRow>(TableClient.CreateQueryFilter($"PartitionKey eq {PageRow.Partition}"), cancellationToken: cancellationToken)
            .ToListAsync(cancellationToken);

    private ValueTask<List<SnapshotRow>> ListSnapshotsAsync(string filter, CancellationToken cancellationToken) =>
        storage.SnapshotLog.QueryAsync<SnapshotRow>(filter, cancellationToken: cancellationToken).ToListAsync(cancellationToken);

    /// <summary>
    /// Parses snapshots across all pages in the order they were fetched (ties by snapshot id, as the differ orders
    /// them), so a snapshot left pending by a crash is dealt with before any newer snapshot of another page.
    /// </summary>
    private async Task<List<SnapshotParseResult>> ParseInOrderAsync(List<(PageRow Page, SnapshotRow Snapshot)> work, CancellationToken cancellationToken)
    {
        var results = new List<SnapshotParseResult>();
        foreach (var (page, snapshot) in work.OrderBy(item => item.Snapshot.FetchedAt).ThenBy(item => item.Snapshot.SnapshotId, StringComparer.Ordinal))
        {
            var (result, members) = await ParseSnapshotAsync(snapshot, page.MemberIds, cancellationToken);
            results.Add(result);

            page.ParsedSnapshot = string.CompareOrdinal(snapshot.RowKey, page.ParsedSnapshot) > 0 ? snapshot.RowKey : page.ParsedSnapshot;
            page.Members = string.Join(',', members);
            var response = await storage.Pages.UpdateEntityAsync(page, page.ETag, TableUpdateMode.Replace, cancellationToken);
            page.ETag = response.Headers.ETag ?? page.ETag;
        }

        return results;
    }

    private async Task<(SnapshotParseResult Result, IReadOnlyList<string> Members)> ParseSnapshotAsync(
        SnapshotRow snapshot, IReadOnlyList<string> previousMembers, CancellationToken cancellationToken)
    {
        using var activity = DigestTelemetry.StartLinkedActivity(ParseActivityName, snapshot.TraceParent);
        activity?.SetTag("digest.snapshot.id", snapshot.SnapshotId);
        var (result, members) = await ParseAndApplyAsync(snapshot, previousMembers, cancellationToken);
        activity?.SetTag(DigestMetrics.ParseOutcomeTag, result.Outcome);
        activity?.SetTag(DigestMetrics.ParsePathTag, result.Path);
        metrics.SnapshotParsed(result.Outcome, result.Path);
        foreach (var (kind, count) in result.ChangesByKind)
        {
            metrics.PapersChanged(kind, count);
        }

        return (result, members);
    }

    private async Task<(SnapshotParseResult Result, IReadOnlyList<string> Members)> ParseAndApplyAsync(
        SnapshotRow snapshot, IReadOnlyList<string> previousMembers, CancellationToken cancellationToken)
    {
        var content = await snapshots.DownloadAsync(snapshot.BlobName, cancellationToken);
        var toParse = new PageToParse(content, snapshot.ContentType, new Uri(snapshot.Url), snapshot.FetchedAt, snapshot.RequestedDay);

        ParsedPage parsed;
        try
        {
            parsed = parser.Parse(toParse);
        }
        catch (PageParseException e)
        {
            LogParseFailed(logger, snapshot.SnapshotId, e);
            await RecordOutcomeAsync(snapshot, SnapshotOutcome.Failed, null, 0, e.Message, null, cancellationToken);
            return (new SnapshotParseResult(snapshot.SnapshotId, SnapshotOutcome.Failed, null, 0, 0, e.Message), previousMembers);
        }

        var context = new SnapshotContext(snapshot.PartitionKey, snapshot.SnapshotId, snapshot.FetchedAt, snapshot.TraceParent);
        var diff = await ApplyAsync(parsed, context, previousMembers, cancellationToken);
        var warnings = parsed.Warnings.Count > 0 ? string.Join('\n', parsed.Warnings) : null;
        await RecordOutcomeAsync(snapshot, SnapshotOutcome.Parsed, parsed.Path.ToString(), parsed.Papers.Count, null, warnings, cancellationToken);
        LogParsed(logger, snapshot.SnapshotId, parsed.Path, parsed.Papers.Count, diff.Changes.Count);

        var result = new SnapshotParseResult(snapshot.SnapshotId, SnapshotOutcome.Parsed, parsed.Path.ToString(), parsed.Papers.Count, diff.Changes.Count, null)
        {
            ChangesByKind = diff.Changes.GroupBy(change => change.Kind, StringComparer.Ordinal).ToDictionary(group => group.Key, group => group.Count(), StringComparer.Ordinal),
        };
        return (result, [.. parsed.Papers.Select(paper => paper.Id).Distinct(StringComparer.Ordinal)]);
    }

    /// <summary>
    /// Diffs and writes a parsed page: papers first, then the change rows they imply. Papers of a partition that was
    /// not on this page before are inserted optimistically without reading (first sight costs one transaction per
    /// partition); a conflict means they were known after all, and the diff is made again from what is stored.
    /// </summary>
    private async Task<PageDiff> ApplyAsync(ParsedPage parsed, SnapshotContext context, IReadOnlyList<string> previousMembers, CancellationToken cancellationToken)
    {
        var ids = parsed.Papers.Select(paper => paper.Id).Distinct(StringComparer.Ordinal).ToList();
        var knownPartitions = previousMembers.Select(PaperRow.PartitionFor).ToHashSet(StringComparer.Ordinal);
        var toRead = ids.Where(id => knownPartitions.Contains(PaperRow.PartitionFor(id))).Concat(previousMembers);

        for (var attempt = 1; ; attempt++)
        {
            var stored = await papers.ReadAsync(toRead, cancellationToken);
            var diff = PaperDiffer.Diff(parsed, context, stored, previousMembers);
            try
            {
                await papers.WriteAsync(diff.PaperWrites, cancellationToken);
                await papers.WriteChangesAsync(diff.ChangeRowsToWrite, cancellationToken);
                return diff;
            }
            catch (PaperWriteConflictException e) when (attempt < MaxConflictRetries)
            {
                LogWriteConflict(logger, context.SnapshotId, attempt, e);
                toRead = ids.Concat(previousMembers);
            }
        }
    }

    private async Task RecordOutcomeAsync(
        SnapshotRow snapshot, string outcome, string? path, int paperCount, string? error, string? warnings, CancellationToken cancellationToken)
    {
        snapshot.Outcome = outcome;
        snapshot.ParserVersion = PageParser.Version;
        snapshot.ParsePath = path;
        snapshot.PaperCount = paperCount;
        snapshot.Error = error is { Length: > 8000 } ? error[..8000] : error;
        snapshot.Warnings = warnings is { Length: > 8000 } ? warnings[..8000] : warnings;
        snapshot.ParsedAt = timeProvider.GetUtcNow();
        await storage.SnapshotLog.UpdateEntityAsync(snapshot, ETag.All, TableUpdateMode.Replace, cancellationToken);
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Snapshot {SnapshotId} could not be parsed; it is kept and can be retried with reparse")]
    private static partial void LogParseFailed(ILogger logger, string snapshotId, Exception exception);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Parsed snapshot {SnapshotId} by {Path}: {PaperCount} papers, {ChangeCount} changes")]
    private static partial void LogParsed(ILogger logger, string snapshotId, ParsePath path, int paperCount, int changeCount);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Information, Message = "ParseAndDiff ({Mode}) parsed {Snapshots} snapshots in {Elapsed}: {Failed} failed, {New} new papers, {Changes} changes")]
    private static partial void LogRunSummary(ILogger logger, string mode, int snapshots, int failed, int @new, int changes, TimeSpan elapsed);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Warning, Message = "ParseAndDiff ({Mode}) stopped after {Elapsed}")]
    private static partial void LogRunFailed(ILogger logger, string mode, TimeSpan elapsed, Exception exception);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Information, Message = "Papers of snapshot {SnapshotId} changed meanwhile (attempt {Attempt}); diffing again")]
    private static partial void LogWriteConflict(ILogger logger, string snapshotId, int attempt, Exception exception);
}
