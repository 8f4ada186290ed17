using Digest.Crawling;
using Digest.Papers;
using Digest.Parsing;
using Digest.Tests.Crawling;
using Digest.Tests.Infrastructure;
using Shouldly;

namespace Digest.Tests.Papers;

public sealed class PaperStoreTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2026, 3, 20, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task WriteAsync_RowChangedByAnotherWriter_ThrowsConflictAndKeepsTheirs()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = CrawlerHarness.Create(azurite, Path.GetTempPath(), Now);
        await harness.Storage.EnsureCreatedAsync(ct);
        var paper = new Paper("2403.01234", "Title", "Abstract", ["A. Author"], 3, new DateOnly(2026, 3, 19));
        var page = new ParsedPage([paper], ParsePath.ApiJson, null, []);
        var first = PaperDiffer.Diff(page, new SnapshotContext("api-x", "api-x/1", Now), new Dictionary<string, PaperRow>(), []);
        await harness.Papers.WriteAsync(first.PaperWrites, ct);
        var stored = await harness.Papers.ReadAsync([paper.Id], ct);

        // Two writers read the same row; the first one to write wins, the second gets a conflict.
        var winner = PaperDiffer.Diff(page with { Papers = [paper with { Upvotes = 9 }] }, new SnapshotContext("api-x", "api-x/2", Now.AddMinutes(1)), stored, []);
        var loser = PaperDiffer.Diff(page with { Papers = [paper with { Upvotes = 7 }] }, new SnapshotContext("api-y", "api-y/2", Now.AddMinutes(1)), stored, []);
        await harness.Papers.WriteAsync(winner.PaperWrites, ct);

        await Should.ThrowAsync<PaperWriteConflictException>(() => harness.Papers.WriteAsync(loser.PaperWrites, ct));
        (await harness.Papers.GetAsync(paper.Id, ct)).ShouldNotBeNull().Upvotes.ShouldBe(9);
    }

    [Fact]
    public async Task WriteAsync_NewPaperAlreadyStoredByAnotherPage_ThrowsConflict()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = CrawlerHarness.Create(azurite, Path.GetTempPath(), Now);
        await harness.Storage.EnsureCreatedAsync(ct);
        var page = new ParsedPage([new Paper("2403.01234", "Title", "Abstract", [], 3, new DateOnly(2026, 3, 19))], ParsePath.ApiJson, null, []);
        var none = new Dictionary<string, PaperRow>();
        await harness.Papers.WriteAsync(PaperDiffer.Diff(page, new SnapshotContext("a", "a/1", Now), none, []).PaperWrites, ct);

        await Should.ThrowAsync<PaperWriteConflictException>(() =>
            harness.Papers.WriteAsync(PaperDiffer.Diff(page, new SnapshotContext("b", "b/1", Now), none, []).PaperWrites, ct));
    }
}
