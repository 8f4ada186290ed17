using Azure.Data.Tables;
using Digest.Papers;
using Digest.Snapshots;
using Digest.Tests.Infrastructure;
using Shouldly;

namespace Digest.Tests.Crawling;

/// <summary>The whole cycle on the real seed pages, on Azurite.</summary>
public sealed class CrawlCycleTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2026, 3, 20, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task RunOnceAsync_SeedCorpus_Stores506PapersAndOneAbstractUpdate()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = CrawlerHarness.Create(azurite, CorpusFolder(), Now);

        var report = await harness.Cycle.RunOnceAsync(ct);

        report.Pages.Count.ShouldBe(5);
        report.Pages.ShouldAllBe(page => page.State == PageFetchState.Stored);
        report.Snapshots.ShouldAllBe(snapshot => snapshot.Outcome == SnapshotOutcome.Parsed && snapshot.Path == "PlainText");
        report.Snapshots.Sum(snapshot => snapshot.PaperCount).ShouldBe(579);
        var papers = await harness.AllAsync<PaperRow>(harness.Storage.Papers, ct);
        papers.Count.ShouldBe(506);
        var changes = await harness.AllAsync<ChangeRow>(harness.Storage.Changes, ct);
        changes.Count(change => change.Kind == ChangeKind.New).ShouldBe(506);
        var updated = changes.Where(change => change.Kind == ChangeKind.Updated).ShouldHaveSingleItem();
        updated.Fields.ShouldBe("abstract");
        changes.Count.ShouldBe(507);
    }

    [Fact]
    public async Task RunOnceAsync_SameInputTwice_SecondRunReadsOncePerPageAndWritesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = CrawlerHarness.Create(azurite, CorpusFolder(), Now);
        await harness.Cycle.RunOnceAsync(ct);
        var papersBefore = await harness.AllAsync<PaperRow>(harness.Storage.Papers, ct);
        var changesBefore = await harness.AllAsync<ChangeRow>(harness.Storage.Changes, ct);
        harness.Time.Advance(TimeSpan.FromMinutes(15));

        var second = await harness.Cycle.RunOnceAsync(ct);

        second.Pages.ShouldAllBe(page => page.State == PageFetchState.Unchanged);
        second.Snapshots.ShouldBeEmpty();
        second.StorageTransactions.Writes.ShouldBe(0);
        second.StorageTransactions.Reads.ShouldBe(5);
        (await harness.AllAsync<ChangeRow>(harness.Storage.Changes, ct)).Count.ShouldBe(changesBefore.Count);
        (await harness.AllAsync<PaperRow>(harness.Storage.Papers, ct)).Select(row => row.ETag).ShouldBe(papersBefore.Select(row => row.ETag));
    }

    [Fact]
    public async Task RunOnceAsync_AfterKillBetweenSnapshotAndParse_NextRunCompletesWithNothingLost()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = AzuriteFixture.UniqueName("t")[..13];
        await using (var killed = CrawlerHarness.Create(azurite, CorpusFolder(), Now, prefix: prefix))
        {
            // The SnapshotDigests step alone: the process "dies" before ParseAndDiff runs.
            var snapshotted = await killed.Cycle.SnapshotAsync(ct);
            snapshotted.Pages.ShouldAllBe(page => page.State == PageFetchState.Stored);
            (await killed.AllAsync<PaperRow>(killed.Storage.Papers, ct)).ShouldBeEmpty();
        }

        await using var next = CrawlerHarness.Create(azurite, CorpusFolder(), Now.AddMinutes(15), prefix: prefix);
        var report = await next.Cycle.RunOnceAsync(ct);

        report.Pages.ShouldAllBe(page => page.State == PageFetchState.Unchanged);
        report.Snapshots.Count.ShouldBe(5);
        (await next.AllAsync<PaperRow>(next.Storage.Papers, ct)).Count.ShouldBe(506);
        var pages = await next.AllAsync<PageRow>(next.Storage.Pages, ct);
        pages.ShouldAllBe(page => !page.HasPendingSnapshot);
    }

    [Fact]
    public async Task RunOnceAsync_AfterKillBetweenPaperAndChangeWrites_NextRunWritesTheSameChanges()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = CrawlerHarness.Create(azurite, CorpusFolder(), Now);
        await harness.Cycle.RunOnceAsync(ct);
        var written = await harness.AllAsync<ChangeRow>(harness.Storage.Changes, ct);

        // The state a crash leaves after the paper rows of the last page were written and before its change rows
        // were: that page's change rows are missing and the page still points at its snapshot as pending.
        var lastPage = (await harness.AllAsync<PageRow>(harness.Storage.Pages, ct)).MaxBy(page => page.RowKey, StringComparer.Ordinal)!;
        var lost = written.Where(change => change.PageKey == lastPage.RowKey).ToList();
        lost.Count.ShouldBeGreaterThan(1);
        lost.ShouldContain(change => change.Kind == ChangeKind.Updated);
        foreach (var change in lost)
        {
            await harness.Storage.Changes.DeleteEntityAsync(change.PartitionKey, change.RowKey, cancellationToken: ct);
        }

        lastPage.ParsedSnapshot = null;
        lastPage.Members = null;
        await harness.Storage.Pages.UpdateEntityAsync(lastPage, lastPage.ETag, TableUpdateMode.Replace, ct);

        await harness.Cycle.ParseAsync(ct);

        var rewritten = await harness.AllAsync<ChangeRow>(harness.Storage.Changes, ct);
        rewritten.Select(change => change.RowKey).Order(StringComparer.Ordinal)
            .ShouldBe(written.Select(change => change.RowKey).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ReparseAsync_AllSnapshotsParsedAgain_NoNewChanges()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = CrawlerHarness.Create(azurite, CorpusFolder(), Now);
        await harness.Cycle.RunOnceAsync(ct);
        var before = await harness.AllAsync<ChangeRow>(harness.Storage.Changes, ct);

        var report = await harness.Cycle.ReparseAsync(ct);

        report.Snapshots.Count.ShouldBe(5);
        report.Snapshots.ShouldAllBe(snapshot => snapshot.Outcome == SnapshotOutcome.Parsed);
        (await harness.AllAsync<ChangeRow>(harness.Storage.Changes, ct)).Count.ShouldBe(before.Count);
        (await harness.AllAsync<PaperRow>(harness.Storage.Papers, ct)).Count.ShouldBe(506);
    }

    private static string CorpusFolder() => Path.GetDirectoryName(TestData.CorpusFiles[0])!;
}
