using Digest.Crawling;
using Digest.Papers;
using Digest.Parsing;
using Digest.Snapshots;
using Digest.Storage;

namespace Digest.Tests.Bot.Loopback;

/// <summary>Puts real papers (a saved Daily Papers API answer) into the crawl's tables the way the crawl does:
/// parsed by <see cref="PageParser"/>, diffed by <see cref="PaperDiffer"/>, written by <see cref="PaperStore"/>.</summary>
public static class PaperSeeder
{
    /// <summary>Seeds the fixture's papers, re-dated to <paramref name="listedOn"/>, first seen at <paramref name="seenAt"/>.</summary>
    public static async Task<IReadOnlyList<Paper>> SeedAsync(DigestStorage storage, string fixturePath, DateOnly listedOn, DateTimeOffset seenAt, CancellationToken cancellationToken)
    {
        var papers = await ReadAsync(fixturePath, listedOn, cancellationToken);
        await ObserveAsync(storage, papers, seenAt, cancellationToken);
        return papers;
    }

    /// <summary>The fixture's papers as <see cref="PageParser"/> reads them, re-dated to <paramref name="listedOn"/>.</summary>
    public static async Task<IReadOnlyList<Paper>> ReadAsync(string fixturePath, DateOnly listedOn, CancellationToken cancellationToken)
    {
        var content = await File.ReadAllBytesAsync(fixturePath, cancellationToken);
        var parsed = new PageParser().Parse(new PageToParse(content, "application/json", new Uri("https://huggingface.co/api/daily_papers"), DateTimeOffset.UnixEpoch, null));
        return [.. parsed.Papers.Select(paper => paper with { Date = listedOn })];
    }

    /// <summary>Records a fetch of the API page at <paramref name="seenAt"/> that lists <paramref name="papers"/>: diffed
    /// against the stored rows, so a paper seen before gets the changes the crawl would record (upvotes, text).</summary>
    public static async Task ObserveAsync(DigestStorage storage, IReadOnlyList<Paper> papers, DateTimeOffset seenAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(papers);
        await storage.EnsureCreatedAsync(cancellationToken);
        var store = new PaperStore(storage);
        var stored = await store.ReadAsync(papers.Select(paper => paper.Id), cancellationToken);
        var page = new ParsedPage(papers, ParsePath.ApiJson, papers.Count > 0 ? papers[0].Date : null, []);
        var diff = PaperDiffer.Diff(page, new SnapshotContext("api-daily", $"{seenAt.UtcTicks:D19}", seenAt), stored, [.. stored.Keys]);
        await store.WriteAsync(diff.PaperWrites, cancellationToken);
        await store.WriteChangesAsync(diff.ChangeRowsToWrite, cancellationToken);
        await storage.Pages.UpsertEntityAsync(new PageRow { RowKey = "api-daily", Url = "https://huggingface.co/api/daily_papers", LatestFetchedAt = seenAt }, cancellationToken: cancellationToken);
    }
}
