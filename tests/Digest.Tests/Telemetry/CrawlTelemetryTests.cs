using Digest.Crawling;
using Digest.Delivery;
using Digest.Cli;
using Digest.Papers;
using Digest.Snapshots;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Telemetry;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Shouldly;

namespace Digest.Tests.Telemetry;

/// <summary>The crawl in the command host as <c>digest once</c> builds it (never started, like the command line does),
/// with its telemetry exported to memory, over the loopback huggingface.co.</summary>
public sealed class CrawlTelemetryTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string StoredDay = "2024-08-01";
    private const string MissingDay = "2024-08-02";
    private LoopbackHuggingFace _server = null!;

    public async ValueTask InitializeAsync() => _server = await LoopbackHuggingFace.StartAsync(TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task RunOnceAsync_CommandHost_MetricsMatchTheReports()
    {
        var ct = TestContext.Current.CancellationToken;
        _server.Respond("/papers/date/" + StoredDay, Answers.Page(File.ReadAllBytes(TestData.HfPapers("list_2024-08-01_slbqc.html")), etag: "\"v1\""));
        _server.Respond("/papers/date/" + MissingDay, Answers.Status(404));
        using var capture = new TelemetryCapture();
        using var host = CommandHost(capture);
        capture.ListenTo(host.Services);
        var cycle = host.Services.GetRequiredService<CrawlCycle>();

        var first = await cycle.RunOnceAsync(ct);
        var second = await cycle.RunOnceAsync(ct);

        CrawlReport[] reports = [first, second];
        first.Pages.Count(page => page.State == PageFetchState.Stored).ShouldBe(1);
        second.Pages.Count(page => page.State == PageFetchState.NotModified).ShouldBe(1);
        capture.Sum("digest.pages.fetched").ShouldBe(reports.Sum(report => report.Pages.Count));
        capture.Sum("digest.snapshots.stored").ShouldBe(reports.Sum(report => report.Pages.Count(page => page.State == PageFetchState.Stored)));
        capture.Sum("digest.pages.unchanged").ShouldBe(reports.Sum(report => report.Pages.Count(page => page.State is PageFetchState.NotModified or PageFetchState.Unchanged)));
        capture.Sum("digest.pages.failed").ShouldBe(reports.Sum(report => report.Pages.Count(page => page.State == PageFetchState.Failed)));
        capture.Sum("digest.papers.new").ShouldBe(reports.Sum(report => report.ChangeCount(ChangeKind.New)));
        capture.Sum("digest.papers.new").ShouldBe(13);
        capture.Sum("digest.snapshots.parsed", tags => Equals(tags[DigestMetrics.ParsePathTag], "DataProps") && Equals(tags[DigestMetrics.ParseOutcomeTag], "Parsed"))
            .ShouldBe(1);
    }

    [Fact]
    public async Task RunOnceAsync_CommandHost_ChangeRowsCarryTheContextOfTheFetchThatFoundThem()
    {
        var ct = TestContext.Current.CancellationToken;
        _server.Respond("/papers/date/" + StoredDay, Answers.Page(File.ReadAllBytes(TestData.HfPapers("list_2024-08-01_slbqc.html"))));
        _server.Respond("/papers/date/" + MissingDay, Answers.Status(404));
        var capture = new TelemetryCapture();
        using var host = CommandHost(capture);

        using (capture.StartTest("crawl"))
        {
            await host.Services.GetRequiredService<CrawlCycle>().RunOnceAsync(ct);
        }

        capture.Named(CrawlCycle.ActivityName).ShouldHaveSingleItem();
        capture.Named(SnapshotDigests.ActivityName).ShouldHaveSingleItem();
        capture.Named(ParseAndDiff.ActivityName).ShouldHaveSingleItem();
        var fetches = capture.Named(SnapshotDigests.FetchActivityName);
        fetches.Select(fetch => fetch.GetTagItem("digest.page.key")).OrderBy(key => key).ShouldBe(["daily-" + StoredDay, "daily-" + MissingDay]);
        var storedFetch = fetches.Single(fetch => Equals(fetch.GetTagItem("digest.page.key"), "daily-" + StoredDay));
        fetches.Single(fetch => fetch != storedFetch).Status.ShouldBe(System.Diagnostics.ActivityStatusCode.Error);

        var changes = await host.Services.GetRequiredService<DigestStorage>().Changes.QueryAsync<ChangeRow>(cancellationToken: ct).ToListAsync(ct);
        changes.Count.ShouldBe(13);
        changes.ShouldAllBe(change => change.TraceParent == storedFetch.Id);

        // The parse of the snapshot, in a later step (or process), is linked to the fetch that stored it.
        capture.Named(ParseAndDiff.ParseActivityName).ShouldHaveSingleItem().Links.ShouldHaveSingleItem().Context.SpanId.ShouldBe(storedFetch.SpanId);
    }

    [Fact]
    public async Task RunOnceAndNotify_CommandHost_TheSendLinksToTheFetchThatFoundItsPapersAndIsCounted()
    {
        var ct = TestContext.Current.CancellationToken;
        _server.Respond("/papers/date/" + StoredDay, Answers.Page(File.ReadAllBytes(TestData.HfPapers("list_2024-08-01_slbqc.html"))));
        _server.Respond("/papers/date/" + MissingDay, Answers.Status(404));
        await using var connector = await LoopbackConnector.StartAsync(ct);
        using var capture = new TelemetryCapture();
        using var host = CommandHost(capture, new Dictionary<string, string?> { ["Delivery:Enabled"] = "true" });
        capture.ListenTo(host.Services);
        await host.Services.GetRequiredService<SubscriptionStore>().SubscribeAsync(connector, "model*", ct);

        DeliveryReport report;
        using (capture.StartTest("once"))
        {
            await host.Services.GetRequiredService<CrawlCycle>().RunOnceAsync(ct);
            report = await host.Services.GetRequiredService<NotifySubscribers>().RunAsync(ct);
        }

        report.MessagesSent.ShouldBeGreaterThan(0);
        var storedFetch = capture.Named(SnapshotDigests.FetchActivityName).Single(fetch => Equals(fetch.GetTagItem("digest.page.key"), "daily-" + StoredDay));
        var sends = capture.Named(DeliverySender.SendActivityName);
        sends.Count.ShouldBe(report.MessagesSent);
        sends.ShouldAllBe(send => send.Links.Any(link => link.Context.SpanId == storedFetch.SpanId && link.Context.TraceId == storedFetch.TraceId));
        capture.Sum("digest.messages.sent").ShouldBe(connector.Accepted.Count);
        capture.Sum("digest.rule.matches").ShouldBe(report.PapersSent);
    }

    [Fact]
    public void StartLinkedActivity_StoredTraceParent_LinksToThatContext()
    {
        var capture = new TelemetryCapture();
        using var host = CommandHost(capture);
        const string Stored = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        using (capture.StartTest("send"))
        {
            using var linked = DigestTelemetry.StartLinkedActivity("SendMessage", Stored);
            using var unlinked = DigestTelemetry.StartLinkedActivity("SendMessage", "not a trace parent");
        }

        var sends = capture.Named("SendMessage");
        sends.Count.ShouldBe(2);
        sends.SelectMany(send => send.Links).ShouldHaveSingleItem().Context.ShouldBe(DigestTelemetry.ParseTraceParent(Stored)!.Value);
    }

    private Microsoft.Extensions.Hosting.IHost CommandHost(TelemetryCapture capture, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Storage:NamePrefix"] = AzuriteFixture.UniqueName("o")[..13],
            ["Sources:Source"] = _server.BaseAddress.ToString(),
            ["Sources:Dates:0"] = StoredDay,
            ["Sources:Dates:1"] = MissingDay,
            ["Sources:RetryBaseDelay"] = "00:00:00.010",
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        var host = DigestHost.CreateCommandHost(settings, LogLevel.Critical, capture.Configure);
        DigestHost.ValidateOptions(host.Services);
        return host;
    }
}
