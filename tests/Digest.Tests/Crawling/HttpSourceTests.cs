using System.Text;
using System.Text.Json.Nodes;
using Digest.Papers;
using Digest.Snapshots;
using Digest.Tests.Infrastructure;
using Shouldly;

namespace Digest.Tests.Crawling;

/// <summary>The crawl cycle against a loopback server that answers as huggingface.co does, and as it fails.</summary>
public sealed class HttpSourceTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Day = "2024-08-01";
    private const string DailyPath = "/papers/date/" + Day;
    private const string ApiPath = "/api/daily_papers?date=" + Day + "&limit=100";
    private static readonly DateTimeOffset Now = new(2024, 8, 2, 6, 0, 0, TimeSpan.Zero);
    private LoopbackHuggingFace _server = null!;

    public async ValueTask InitializeAsync() => _server = await LoopbackHuggingFace.StartAsync(TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task RunOnceAsync_DailyPage_SendsPoliteRequestAndStoresPapers()
    {
        var ct = TestContext.Current.CancellationToken;
        _server.Respond(DailyPath, Answers.Page(File.ReadAllBytes(TestData.HfPapers("list_2024-08-01_slbqc.html"))));
        await using var harness = Harness();

        var report = await harness.Cycle.RunOnceAsync(ct);

        report.Pages.ShouldHaveSingleItem().State.ShouldBe(PageFetchState.Stored);
        report.Snapshots.ShouldHaveSingleItem().Path.ShouldBe("DataProps");
        (await harness.Papers.ListByDateAsync(new DateOnly(2024, 8, 1), new DateOnly(2024, 8, 1), ct)).Count.ShouldBe(13);
        _server.Requests.ShouldHaveSingleItem().UserAgent.ShouldContain("Digest");
    }

    [Fact]
    public async Task RunOnceAsync_ServerAnswers304ToTheStoredETag_ReadsOnceAndWritesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        _server.Respond(DailyPath, Answers.Page(File.ReadAllBytes(TestData.HfPapers("list_2024-08-01_slbqc.html")), etag: "\"v1\""));
        await using var harness = Harness();
        await harness.Cycle.RunOnceAsync(ct);

        var second = await harness.Cycle.RunOnceAsync(ct);

        second.Pages.ShouldHaveSingleItem().State.ShouldBe(PageFetchState.NotModified);
        second.StorageTransactions.ShouldBe(new Digest.Storage.StorageTransactions(1, 0));
        _server.Requests.Last().IfNoneMatch.ShouldBe("\"v1\"");
    }

    [Fact]
    public async Task RunOnceAsync_429WithRetryAfter_WaitsAndRetries()
    {
        var ct = TestContext.Current.CancellationToken;
        _server.Respond(DailyPath, Answers.Status(429, retryAfter: "1"), Answers.Page(File.ReadAllBytes(TestData.HfPapers("list_2024-08-01_slbqc.html"))));
        await using var harness = Harness();

        var report = await harness.Cycle.RunOnceAsync(ct);

        report.Pages.ShouldHaveSingleItem().State.ShouldBe(PageFetchState.Stored);
        _server.CountRequests(DailyPath).ShouldBe(2);
    }

    [Fact]
    public async Task RunOnceAsync_429WithRetryAfterBeyondPatience_RecordsFailureWithoutWaiting()
    {
        var ct = TestContext.Current.CancellationToken;
        _server.Respond(DailyPath, Answers.Status(429, retryAfter: "3600"));
        await using var harness = Harness();

        var report = await harness.Cycle.RunOnceAsync(ct);

        var page = report.Pages.ShouldHaveSingleItem();
        page.State.ShouldBe(PageFetchState.Failed);
        page.Error.ShouldNotBeNull().ShouldContain("429");
        _server.CountRequests(DailyPath).ShouldBe(1);
        (await harness.AllAsync<PageRow>(harness.Storage.Pages, ct)).ShouldHaveSingleItem().LastFetchError.ShouldNotBeNull().ShouldContain("Retry-After");
        (await harness.AllAsync<SnapshotRow>(harness.Storage.SnapshotLog, ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task RunOnceAsync_500Then200_Retries()
    {
        var ct = TestContext.Current.CancellationToken;
        _server.Respond(DailyPath, Answers.Status(500), Answers.Page(File.ReadAllBytes(TestData.HfPapers("list_2024-08-01_slbqc.html"))));
        await using var harness = Harness();

        var report = await harness.Cycle.RunOnceAsync(ct);

        report.Pages.ShouldHaveSingleItem().State.ShouldBe(PageFetchState.Stored);
        report.Snapshots.ShouldHaveSingleItem().PaperCount.ShouldBe(13);
        _server.CountRequests(DailyPath).ShouldBe(2);
    }

    [Fact]
    public async Task RunOnceAsync_TruncatedBody_RecordsFetchFailureAndStoresNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        _server.Respond(DailyPath, Answers.Truncated(File.ReadAllBytes(TestData.HfPapers("list_2024-08-01_slbqc.html"))));
        await using var harness = Harness();

        var report = await harness.Cycle.RunOnceAsync(ct);

        report.Pages.ShouldHaveSingleItem().State.ShouldBe(PageFetchState.Failed);
        (await harness.AllAsync<PageRow>(harness.Storage.Pages, ct)).ShouldHaveSingleItem().LastFetchError.ShouldNotBeNullOrEmpty();
        (await harness.AllAsync<SnapshotRow>(harness.Storage.SnapshotLog, ct)).ShouldBeEmpty();
        (await harness.AllAsync<PaperRow>(harness.Storage.Papers, ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task RunOnceAsync_NonHtmlBody_KeepsSnapshotRecordsParseFailureAndParsesOtherPages()
    {
        var ct = TestContext.Current.CancellationToken;
        byte[] png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, (byte)'I', (byte)'H', (byte)'D', (byte)'R'];
        _server.Respond(DailyPath, Answers.Page(png, "image/png"));
        _server.Respond(ApiPath, Answers.Page(ApiBody(ApiItems(3)), "application/json; charset=utf-8"));
        await using var harness = Harness(api: true);

        var report = await harness.Cycle.RunOnceAsync(ct);

        report.Pages.ShouldAllBe(page => page.State == PageFetchState.Stored);
        var failed = report.Snapshots.Where(snapshot => snapshot.Outcome == SnapshotOutcome.Failed).ShouldHaveSingleItem();
        failed.SnapshotId.ShouldStartWith("daily-");
        failed.Error.ShouldNotBeNullOrEmpty();
        report.Snapshots.Where(snapshot => snapshot.Outcome == SnapshotOutcome.Parsed).ShouldHaveSingleItem().PaperCount.ShouldBe(3);
        var rows = await harness.AllAsync<SnapshotRow>(harness.Storage.SnapshotLog, ct);
        rows.Where(row => row.Outcome == SnapshotOutcome.Failed).ShouldHaveSingleItem().Error.ShouldBe(failed.Error);
        (await harness.AllAsync<PageRow>(harness.Storage.Pages, ct)).ShouldAllBe(page => !page.HasPendingSnapshot);
    }

    [Fact]
    public async Task RunOnceAsync_EmptyList_ParsesToNoPapers()
    {
        var ct = TestContext.Current.CancellationToken;
        _server.Respond(ApiPath, Answers.Page("[]"u8.ToArray(), "application/json"));
        await using var harness = Harness(api: true, daily: false);

        var report = await harness.Cycle.RunOnceAsync(ct);

        var snapshot = report.Snapshots.ShouldHaveSingleItem();
        snapshot.Outcome.ShouldBe(SnapshotOutcome.Parsed);
        snapshot.PaperCount.ShouldBe(0);
        (await harness.AllAsync<PaperRow>(harness.Storage.Papers, ct)).ShouldBeEmpty();
    }

    [Fact(Timeout = 120_000)]
    [Trait("Category", "Slow")]
    public async Task RunOnceAsync_TenMegabytePage_IsStoredAndParsed()
    {
        var ct = TestContext.Current.CancellationToken;
        var body = ApiBody(ApiItems(2_000));
        body.Length.ShouldBeGreaterThan(10_000_000);
        _server.Respond(ApiPath, Answers.Page(body, "application/json"));
        await using var harness = Harness(api: true, daily: false);

        var report = await harness.Cycle.RunOnceAsync(ct);

        report.Pages.ShouldHaveSingleItem().Size.ShouldBe(body.Length);
        report.Snapshots.ShouldHaveSingleItem().PaperCount.ShouldBe(2_000);
        (await harness.AllAsync<PaperRow>(harness.Storage.Papers, ct)).Count.ShouldBe(2_000);
    }

    [Fact]
    public async Task RunOnceAsync_MalformedDataProps_RecordsParseFailure()
    {
        var ct = TestContext.Current.CancellationToken;
        var html = """
            <!doctype html><html><body class="DailyPapersPage"><main>
            <div class="SVELTE_HYDRATER contents" data-target="DailyPapers" data-props="{&quot;dailyPapers&quot;:[{&quot;paper&quot;:{&quot;id&quot;:"></div>
            </main></body></html>
            """;
        _server.Respond(DailyPath, Answers.Page(Encoding.UTF8.GetBytes(html)));
        await using var harness = Harness();

        var report = await harness.Cycle.RunOnceAsync(ct);

        var snapshot = report.Snapshots.ShouldHaveSingleItem();
        snapshot.Outcome.ShouldBe(SnapshotOutcome.Failed);
        snapshot.Error.ShouldNotBeNullOrEmpty();
        (await harness.AllAsync<PaperRow>(harness.Storage.Papers, ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task RunOnceAsync_MarkupAndScriptInTitles_StoredVerbatimAsPlainText()
    {
        var ct = TestContext.Current.CancellationToken;
        var items = ApiItems(2);
        items[0]!["title"] = "<script>alert('x')</script>Attention <b>Is</b> All";
        items[0]!["paper"]!["title"] = "<script>alert('x')</script>Attention <b>Is</b> All";
        _server.Respond(ApiPath, Answers.Page(ApiBody(items), "application/json"));
        await using var harness = Harness(api: true, daily: false);

        var report = await harness.Cycle.RunOnceAsync(ct);

        report.Snapshots.ShouldHaveSingleItem().Outcome.ShouldBe(SnapshotOutcome.Parsed);
        var stored = await harness.Papers.GetAsync(items[0]!["paper"]!["id"]!.GetValue<string>(), ct);
        // The title is text, as the site shows it: never interpreted as markup here, escaped by every renderer.
        stored.ShouldNotBeNull().Title.ShouldBe("<script>alert('x')</script>Attention <b>Is</b> All");
        (await harness.Papers.GetAsync(items[1]!["paper"]!["id"]!.GetValue<string>(), ct)).ShouldNotBeNull();
    }

    [Fact]
    public async Task RunOnceAsync_ChangedPage_WritesExactlyTheChangeRows()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = ApiItems(3);
        var second = ApiItems(4);
        second.RemoveAt(1);                                   // paper 1 leaves the page
        second[0]!["paper"]!["upvotes"] = first[0]!["paper"]!["upvotes"]!.GetValue<int>() + 5;
        second[1]!["title"] = "A Retitled Paper";             // was paper 2
        second[1]!["paper"]!["title"] = "A Retitled Paper";
        _server.Respond(ApiPath, Answers.Page(ApiBody(first), "application/json"), Answers.Page(ApiBody(second), "application/json"));
        await using var harness = Harness(api: true, daily: false);
        await harness.Cycle.RunOnceAsync(ct);
        var before = (await harness.AllAsync<ChangeRow>(harness.Storage.Changes, ct)).Select(change => change.RowKey).ToHashSet(StringComparer.Ordinal);
        harness.Time.Advance(TimeSpan.FromMinutes(15));

        var report = await harness.Cycle.RunOnceAsync(ct);

        report.Snapshots.ShouldHaveSingleItem().Outcome.ShouldBe(SnapshotOutcome.Parsed);
        var changes = (await harness.AllAsync<ChangeRow>(harness.Storage.Changes, ct)).Where(change => !before.Contains(change.RowKey))
            .Select(change => $"{change.Kind} {change.PaperId} {change.Fields} {change.OldUpvotes}->{change.NewUpvotes}")
            .Order(StringComparer.Ordinal).ToList();
        string Id(JsonNode item) => item["paper"]!["id"]!.GetValue<string>();
        int Votes(JsonNode item) => item["paper"]!["upvotes"]!.GetValue<int>();
        changes.ShouldBe(new[]
        {
            $"New {Id(second[2]!)}  ->{Votes(second[2]!)}",
            $"Removed {Id(first[1]!)}  ->",
            $"Updated {Id(first[2]!)} title ->",
            $"UpvotesChanged {Id(first[0]!)}  {Votes(first[0]!)}->{Votes(first[0]!) + 5}",
        }.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RunOnceAsync_FirstSightOf50Papers_OneTableTransactionPerPartitionAndTable()
    {
        var ct = TestContext.Current.CancellationToken;
        _server.Respond(ApiPath, Answers.Page(ApiBody(ApiItems(50)), "application/json"));
        await using var harness = Harness(api: true, daily: false);

        var report = await harness.Cycle.RunOnceAsync(ct);

        report.Snapshots.ShouldHaveSingleItem().ChangeCount.ShouldBe(50);
        (await harness.AllAsync<PaperRow>(harness.Storage.Papers, ct)).Select(row => row.PartitionKey).Distinct().ShouldHaveSingleItem();

        // Snapshot step: read the page row; write the blob, the snapshot row and the page row.
        // Parse step: list pending snapshots, download the blob; one transaction for the 50 papers (one partition,
        // inserted without reading first), one for the 50 change rows, then the snapshot outcome and the page row.
        report.StorageTransactions.ShouldBe(new Digest.Storage.StorageTransactions(Reads: 3, Writes: 7));
    }

    [Fact]
    public async Task RunOnceAsync_UnchangedPageWithoutValidators_OneReadNoWrite()
    {
        var ct = TestContext.Current.CancellationToken;
        _server.Respond(ApiPath, Answers.Page(ApiBody(ApiItems(50)), "application/json"));
        await using var harness = Harness(api: true, daily: false);
        await harness.Cycle.RunOnceAsync(ct);
        harness.Time.Advance(TimeSpan.FromMinutes(15));

        var report = await harness.Cycle.RunOnceAsync(ct);

        report.Pages.ShouldHaveSingleItem().State.ShouldBe(PageFetchState.Unchanged);
        report.StorageTransactions.ShouldBe(new Digest.Storage.StorageTransactions(Reads: 1, Writes: 0));
    }

    private CrawlerHarness Harness(bool api = false, bool daily = true) =>
        CrawlerHarness.Create(azurite, _server.BaseAddress.ToString(), Now, new Dictionary<string, string?>
        {
            ["Sources:Dates:0"] = Day,
            ["Sources:Api"] = api.ToString(),
            ["Sources:DailyPages"] = daily.ToString(),
            ["Sources:MaxRetries"] = "2",
        });

    /// <summary>Items of the real API response, renumbered so that any count can be made, in the daily bucket of <see cref="Day"/>.</summary>
    private static JsonArray ApiItems(int count)
    {
        var real = JsonNode.Parse(File.ReadAllText(TestData.HfPapers("api_daily_papers_2026-06-12_sotawhat.json")))!.AsArray();
        var items = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            var item = real[i % real.Count]!.DeepClone();
            var id = $"2407.{10000 + i:D5}";
            item["paper"]!["id"] = id;
            item["paper"]!["submittedOnDailyAt"] = $"{Day}T00:00:00.000Z";
            item["paper"]!["upvotes"] = 10 + i;
            items.Add(item);
        }

        return items;
    }

    private static byte[] ApiBody(JsonArray items) => Encoding.UTF8.GetBytes(items.ToJsonString());
}
