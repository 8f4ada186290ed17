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
        ArgumentNullException.ThrowIfNull(storage);
        await storage.EnsureCreatedAsync(cancellationToken);
        var content = await File.ReadAllBytesAsync(fixturePath, cancellationToken);
        var parsed = new PageParser().Parse(new PageToParse(content, "application/json", new Uri("https://huggingface.co/api/daily_papers"), seenAt, null));
        var papers = parsed.Papers.Select(paper => paper with { Date = listedOn }).ToList();
        var page = parsed with { Papers = papers };
        var diff = PaperDiffer.Diff(page, new SnapshotContext("api-daily", $"{seenAt.UtcTicks:D19}", seenAt), new Dictionary<string, PaperRow>(), []);
        var store = new PaperStore(storage);
        await store.WriteAsync(diff.PaperWrites, cancellationToken);
        await store.WriteChangesAsync(diff.Changes, cancellationToken);
        await storage.Pages.UpsertEntityAsync(new PageRow { RowKey = "api-daily", Url = "https://huggingface.co/api/daily_papers", LatestFetchedAt = seenAt }, cancellationToken: cancellationToken);
        return papers;
    }
}
