using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Azure;
using Digest.Sources;
using Digest.Storage;
using Digest.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Digest.Snapshots;

/// <summary>How fetching one page went.</summary>
public enum PageFetchState
{
    /// <summary>New content: a snapshot was stored.</summary>
    Stored,

    /// <summary>The server answered 304 Not Modified: nothing was written.</summary>
    NotModified,

    /// <summary>The content hashed the same as the latest snapshot: nothing was written.</summary>
    Unchanged,

    /// <summary>The fetch failed (status, size or transfer); the error is recorded on the page row.</summary>
    Failed,
}

/// <summary>The result of fetching one page.</summary>
public sealed record PageFetchResult(string PageKey, Uri Url, PageFetchState State, int Status, long Size, string? SnapshotId, string? Error)
{
    /// <summary>The page row after the fetch (null when a failure could not be recorded).</summary>
    public PageRow? Page { get; init; }
}

/// <summary>
/// Step one of the flow: fetch the watched pages and store each new version as an immutable snapshot.
/// An unchanged page costs one table read and no write.
/// </summary>
public sealed partial class SnapshotDigests(
    DigestStorage storage,
    SnapshotStore snapshots,
    IPageFetcher fetcher,
    IOptions<SourceOptions> options,
    TimeProvider timeProvider,
    DigestMetrics metrics,
    ILogger<SnapshotDigests> logger)
{
    /// <summary>The name of the step's activity, and of the activity of each page fetch.</summary>
    public const string ActivityName = nameof(SnapshotDigests);

    /// <summary>The activity of one page fetch; its context is stored on the snapshot row (<see cref="SnapshotRow.TraceParent"/>).</summary>
    public const string FetchActivityName = "FetchPage";

    /// <summary>Fetches the pages the source plans for now.</summary>
    public Task<IReadOnlyList<PageFetchResult>> RunAsync(CancellationToken cancellationToken) =>
        RunAsync(fetcher.Plan(timeProvider.GetUtcNow()), cancellationToken);

    /// <summary>Fetches the given pages, at most <see cref="SourceOptions.MaxConcurrency"/> at a time.</summary>
    public async Task<IReadOnlyList<PageFetchResult>> RunAsync(IReadOnlyList<PageRequest> pages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pages);
        using var activity = DigestTelemetry.Source.StartActivity(ActivityName);
        activity?.SetTag("digest.pages.planned", pages.Count);
        var started = timeProvider.GetTimestamp();
        try
        {
            await storage.EnsureCreatedAsync(cancellationToken);
            var results = new ConcurrentDictionary<string, PageFetchResult>(StringComparer.Ordinal);
            await Parallel.ForEachAsync(
                pages,
                new ParallelOptions { MaxDegreeOfParallelism = options.Value.MaxConcurrency, CancellationToken = cancellationToken },
                async (page, token) => results[page.Key] = await SnapshotPageAsync(page, token));
            IReadOnlyList<PageFetchResult> ordered = [.. pages.Select(page => results[page.Key])];
            var stored = ordered.Count(result => result.State == PageFetchState.Stored);
            var failed = ordered.Count(result => result.State == PageFetchState.Failed);
            LogRunSummary(logger, ordered.Count, stored, ordered.Count - stored - failed, failed, timeProvider.GetElapsedTime(started));
            return ordered;
        }
        catch (Exception exception)
        {
            // Recorded and passed on: the host decides what a failed run means.
            DigestTelemetry.RecordFailure(activity, exception);
            LogRunFailed(logger, pages.Count, timeProvider.GetElapsedTime(started), exception);
            throw;
        }
    }

    /// <summary>Fetches one page and stores it if its content is new.</summary>
    public async Task<PageFetchResult> SnapshotPageAsync(PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        using var activity = DigestTelemetry.Source.StartActivity(FetchActivityName, ActivityKind.Internal);
        activity?.SetTag("digest.page.key", page.Key);
        activity?.SetTag("url.full", page.Url.ToString());
        PageFetchResult result;
        try
        {
            result = await FetchAndStoreAsync(page, activity, cancellationToken);
        }
        catch (Exception exception)
        {
            DigestTelemetry.RecordFailure(activity, exception);
            throw;
        }

        var fetchResult = result.State switch
        {
            PageFetchState.Stored => FetchResults.Stored,
            PageFetchState.NotModified => FetchResults.NotModified,
            PageFetchState.Unchanged => FetchResults.Unchanged,
            _ => FetchResults.Failed,
        };
        activity?.SetTag(DigestMetrics.FetchResultTag, fetchResult);
        activity?.SetTag("http.response.status_code", result.Status);
        if (result.State == PageFetchState.Failed)
        {
            activity?.SetStatus(ActivityStatusCode.Error, result.Error);
        }

        metrics.PageFetched(fetchResult);
        return result;
    }

    private async Task<PageFetchResult> FetchAndStoreAsync(PageRequest page, Activity? activity, CancellationToken cancellationToken)
    {
        var existing = await storage.Pages.GetEntityIfExistsAsync<PageRow>(PageRow.Partition, page.Key, cancellationToken: cancellationToken);
        var row = existing.HasValue ? existing.Value! : null;
        var fetchedAt = timeProvider.GetUtcNow();
        var fetch = await fetcher.FetchAsync(page, row?.HttpETag, row?.LastModified, cancellationToken);

        if (fetch.NotModified)
        {
            LogNotModified(logger, page.Url);
            return new PageFetchResult(page.Key, page.Url, PageFetchState.NotModified, fetch.Status, 0, null, null) { Page = row };
        }

        if (!fetch.Succeeded)
        {
            var error = fetch.Error ?? $"HTTP {fetch.Status}";
            LogFetchFailed(logger, page.Url, error);
            row = await RecordFetchErrorAsync(page, row, error, fetchedAt, cancellationToken);
            return new PageFetchResult(page.Key, page.Url, PageFetchState.Failed, fetch.Status, 0, null, error) { Page = row };
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(fetch.Content.Span));
        if (row is not null && row.LatestHash == hash)
        {
            LogUnchanged(logger, page.Url);
            return new PageFetchResult(page.Key, page.Url, PageFetchState.Unchanged, fetch.Status, fetch.Content.Length, null, null) { Page = row };
        }

        var snapshot = new SnapshotRow
        {
            PartitionKey = page.Key,
            RowKey = SnapshotRow.KeyFor(fetchedAt, hash),
            Url = page.Url.ToString(),
            FetchedAt = fetchedAt,
            Status = fetch.Status,
            HttpETag = fetch.ETag,
            LastModified = fetch.LastModified,
            ContentType = fetch.ContentType,
            Size = fetch.Content.Length,
            Hash = hash,
            BlobName = SnapshotStore.BlobNameFor(hash),
            RequestedDate = page.RequestedDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            TraceParent = DigestTelemetry.TraceParentOf(activity),
        };

        // Blob first, then its row, then the page row that points at it: a crash between any two leaves
        // nothing that refers to missing data, and the next run fetches and stores the page again.
        await snapshots.UploadAsync(snapshot.BlobName, fetch.Content, MetadataOf(snapshot), cancellationToken);
        await storage.SnapshotLog.UpsertEntityAsync(snapshot, Azure.Data.Tables.TableUpdateMode.Replace, cancellationToken);

        row ??= new PageRow { RowKey = page.Key };
        row.Url = snapshot.Url;
        row.RequestedDate = snapshot.RequestedDate;
        row.HttpETag = fetch.ETag;
        row.LastModified = fetch.LastModified;
        row.LatestSnapshot = snapshot.RowKey;
        row.LatestHash = hash;
        row.LatestFetchedAt = fetchedAt;
        row.LastFetchError = null;
        row.LastFetchErrorAt = null;
        row = await SavePageAsync(row, existing.HasValue, cancellationToken);

        LogStored(logger, page.Url, snapshot.SnapshotId, snapshot.Size);
        return new PageFetchResult(page.Key, page.Url, PageFetchState.Stored, fetch.Status, snapshot.Size, snapshot.SnapshotId, null) { Page = row };
    }

    private async Task<PageRow?> RecordFetchErrorAsync(PageRequest page, PageRow? row, string error, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var exists = row is not null;
        row ??= new PageRow { RowKey = page.Key, Url = page.Url.ToString(), RequestedDate = page.RequestedDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) };
        row.LastFetchError = error.Length > 4000 ? error[..4000] : error;
        row.LastFetchErrorAt = at;
        try
        {
            return await SavePageAsync(row, exists, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Another instance wrote the page meanwhile; the error is in the log and the next cycle tries again.
            LogPageWriteConflict(logger, page.Key, e);
            return null;
        }
    }

    private async Task<PageRow> SavePageAsync(PageRow row, bool exists, CancellationToken cancellationToken)
    {
        var response = exists
            ? await storage.Pages.UpdateEntityAsync(row, row.ETag, Azure.Data.Tables.TableUpdateMode.Replace, cancellationToken)
            : await storage.Pages.AddEntityAsync(row, cancellationToken);
        row.ETag = response.Headers.ETag ?? row.ETag;
        return row;
    }

    private static Dictionary<string, string> MetadataOf(SnapshotRow snapshot) => new(StringComparer.Ordinal)
    {
        ["page"] = snapshot.PartitionKey,
        ["url"] = Uri.EscapeDataString(snapshot.Url),
        ["fetchedat"] = snapshot.FetchedAt.ToString("O", CultureInfo.InvariantCulture),
        ["status"] = snapshot.Status.ToString(CultureInfo.InvariantCulture),
        ["etag"] = Uri.EscapeDataString(snapshot.HttpETag ?? ""),
        ["size"] = snapshot.Size.ToString(CultureInfo.InvariantCulture),
        ["sha256"] = snapshot.Hash,
        ["contenttype"] = Uri.EscapeDataString(snapshot.ContentType ?? ""),
    };

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Stored snapshot {SnapshotId} of {Url} ({Size} bytes)")]
    private static partial void LogStored(ILogger logger, Uri url, string snapshotId, long size);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Debug, Message = "{Url} not modified (304)")]
    private static partial void LogNotModified(ILogger logger, Uri url);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Debug, Message = "{Url} unchanged (same content hash)")]
    private static partial void LogUnchanged(ILogger logger, Uri url);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "Fetching {Url} failed: {Error}")]
    private static partial void LogFetchFailed(ILogger logger, Uri url, string error);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Information, Message = "SnapshotDigests fetched {Pages} pages in {Elapsed}: {Stored} stored, {Unchanged} unchanged, {Failed} failed")]
    private static partial void LogRunSummary(ILogger logger, int pages, int stored, int unchanged, int failed, TimeSpan elapsed);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Warning, Message = "SnapshotDigests stopped after {Elapsed} with {Pages} pages planned")]
    private static partial void LogRunFailed(ILogger logger, int pages, TimeSpan elapsed, Exception exception);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Warning, Message = "Page {PageKey} was written by another instance meanwhile")]
    private static partial void LogPageWriteConflict(ILogger logger, string pageKey, Exception exception);
}
