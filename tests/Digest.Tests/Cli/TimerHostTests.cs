using Azure;
using Azure.Data.Tables;
using Digest.Cli;
using Digest.Delivery;
using Digest.Papers;
using Digest.Snapshots;
using Digest.Steps.Runs;
using Digest.Telemetry;
using Digest.Tests.Telemetry;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Delivery;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Shouldly;

namespace Digest.Tests.Cli;

/// <summary>The WebJobs timer host as <c>digest run</c> builds it, on Azurite, with schedules of one second.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class TimerHostTests(AzuriteFixture azurite)
{
    private const string EverySecond = "* * * * * *";
    private const string OnceAYear = "0 0 0 1 1 *";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task CreateTimerHost_SnapshotEverySecond_StoresSnapshotsOfTheFolderPages()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = NewPrefix();
        using var console = new ConsoleCapture();
        using var host = DigestHost.CreateTimerHost(Settings(prefix, snapshots: EverySecond, parse: OnceAYear));
        var recorder = Record(host, "a");

        await host.StartAsync(ct);
        try
        {
            // Stopping the host cancels a run in flight: wait for one to finish.
            await WaitUntilAsync(() => Task.FromResult(recorder.Completed("SnapshotDigests") > 0), console, ct);
        }
        finally
        {
            await host.StopAsync(ct);
        }

        (await CountRowsAsync(prefix + "snapshots", ct)).ShouldBe(5);
        recorder.Executions.ShouldContain(execution => execution.Status == "Succeeded");
        recorder.Executions.ShouldContain(execution => execution.Function.EndsWith("SnapshotDigests", StringComparison.Ordinal));
        recorder.Executions.ShouldAllBe(execution => execution.Function.EndsWith("SnapshotDigests", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CreateTimerHost_DeliveryDisabled_RunsTheCrawlAndNotTheNotifier()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = NewPrefix();
        using var console = new ConsoleCapture();
        var settings = Settings(prefix, snapshots: EverySecond, parse: OnceAYear);
        settings["Schedules:NotifySubscribers"] = EverySecond;
        settings["Delivery:Enabled"] = "false";
        using var host = DigestHost.CreateTimerHost(settings);
        var recorder = Record(host, "a");

        await host.StartAsync(ct);
        try
        {
            await WaitUntilAsync(() => Task.FromResult(recorder.Completed("SnapshotDigests") >= 2), console, ct);
        }
        finally
        {
            await host.StopAsync(ct);
        }

        recorder.Executions.ShouldAllBe(execution => execution.Function.EndsWith("SnapshotDigests", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CreateTimerHost_TwoHostsOnTheSameStorage_NeverRunTheSameFunctionAtOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = NewPrefix();
        using var console = new ConsoleCapture();
        using var first = DigestHost.CreateTimerHost(Settings(prefix, snapshots: EverySecond, parse: EverySecond));
        using var second = DigestHost.CreateTimerHost(Settings(prefix, snapshots: EverySecond, parse: EverySecond));
        FunctionExecutionRecorder[] recorders = [Record(first, "first"), Record(second, "second")];

        await Task.WhenAll(first.StartAsync(ct), second.StartAsync(ct));
        try
        {
            // About four seconds of one-second schedules: enough runs of each function to see who runs them.
            await WaitUntilAsync(
                async () => recorders.Sum(recorder => recorder.Completed("SnapshotDigests")) >= 4 &&
                    recorders.Sum(recorder => recorder.Completed("ParseAndDiff")) >= 4 &&
                    await CountRowsAsync(prefix + "papers", ct) == 506,
                console,
                ct);
        }
        finally
        {
            await Task.WhenAll(first.StopAsync(ct), second.StopAsync(ct));
        }

        var executions = recorders.SelectMany(recorder => recorder.Executions).ToList();
        executions.ShouldAllBe(execution => execution.FinishedAt != null && execution.Status == "Succeeded");
        foreach (var function in executions.GroupBy(execution => execution.Function, StringComparer.Ordinal))
        {
            // The timer listener holds a blob lease: one host runs the function, the other waits for the lease.
            function.Select(execution => execution.Host).Distinct().ShouldHaveSingleItem($"{function.Key} ran on both hosts");
            var ordered = function.OrderBy(execution => execution.StartedAt).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                ordered[i].StartedAt.ShouldBeGreaterThanOrEqualTo(ordered[i - 1].FinishedAt!.Value, $"{function.Key} runs overlapped");
            }
        }

        executions.Select(execution => execution.Function).Distinct().Count().ShouldBe(2);
    }

    [Fact]
    public async Task CreateTimerHost_TwoHostsWithDifferentNamePrefixes_BothRunTheirFunctions()
    {
        var ct = TestContext.Current.CancellationToken;
        string[] prefixes = [NewPrefix(), NewPrefix()];
        using var console = new ConsoleCapture();
        using var first = DigestHost.CreateTimerHost(Settings(prefixes[0], snapshots: EverySecond, parse: OnceAYear));
        using var second = DigestHost.CreateTimerHost(Settings(prefixes[1], snapshots: EverySecond, parse: OnceAYear));

        await Task.WhenAll(first.StartAsync(ct), second.StartAsync(ct));
        try
        {
            // Two deployments sharing an account through Storage:NamePrefix do not wait for each other's locks.
            await WaitUntilAsync(
                async () => (await CountRowsAsync(prefixes[0] + "snapshots", ct)) > 0 && (await CountRowsAsync(prefixes[1] + "snapshots", ct)) > 0,
                console,
                ct);
        }
        finally
        {
            await Task.WhenAll(first.StopAsync(ct), second.StopAsync(ct));
        }
    }

    [Fact]
    public async Task CreateTimerHost_NotifyEverySecond_SendsTheMatchedPapersThroughTheConnector()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = NewPrefix();
        using var console = new ConsoleCapture();
        await using var identity = await TestIdentityProvider.StartAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), ct);
        await using var connector = await LoopbackConnector.StartAsync(ct);
        var settings = NotifyingSettings(prefix, identity, connector);
        using var host = DigestHost.CreateTimerHost(settings);
        var recorder = Record(host, "a");
        var papers = await SeedTodaysPapersAsync(host, ct);
        var subscription = await host.Services.GetRequiredService<SubscriptionStore>().SubscribeAsync(connector, "agent*", ct, TestActivities.TenantId);
        var conversation = subscription.ConversationId;

        await host.StartAsync(ct);
        try
        {
            // The notifier plans and queues; the queue trigger sends (every matched paper, in however many messages).
            var matched = DeliveryHarness.Expected(papers, "agent*");
            await WaitUntilAsync(
                () => Task.FromResult(recorder.Completed("NotifySubscribers") >= 2 && matched.All(id => connector.Accepted.Any(request => request.Card!.ToJsonString().Contains("/papers/" + id, StringComparison.Ordinal)))),
                console,
                ct);
        }
        finally
        {
            await host.StopAsync(ct);
        }

        // A delivery still in flight when the host stops is cancelled (and its message taken again later): only the
        // notifier's runs must all have succeeded.
        recorder.Executions.Where(execution => execution.FinishedAt is not null && execution.Function.EndsWith("NotifySubscribers", StringComparison.Ordinal))
            .ShouldAllBe(execution => execution.Status == "Succeeded", console.Output);
        var expected = DeliveryHarness.Expected(papers, "agent*");
        var sent = connector.All.SelectMany(request => papers.Where(paper => request.Card!.ToJsonString().Contains("/papers/" + paper.Id, StringComparison.Ordinal))).Select(paper => paper.Id).ToList();
        sent.ShouldBeUnique();
        sent.Order().ShouldBe(expected.Order(), $"{connector.All.Count} requests: {string.Join(" ", connector.All.Select(request => request.RawTarget))}");
    }

    [Fact(Timeout = 120_000)]
    [Trait("Category", "Slow")]
    public async Task CreateTimerHost_TwoHostsNotifyingEverySecond_PlanOnOneHostAtATimeAndSendEachPaperOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = NewPrefix();
        using var console = new ConsoleCapture();
        await using var identity = await TestIdentityProvider.StartAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), ct);
        await using var connector = await LoopbackConnector.StartAsync(ct);
        var settings = NotifyingSettings(prefix, identity, connector);
        using var first = DigestHost.CreateTimerHost(settings);
        using var second = DigestHost.CreateTimerHost(settings);
        FunctionExecutionRecorder[] recorders = [Record(first, "first"), Record(second, "second")];
        var papers = await SeedTodaysPapersAsync(first, ct);
        var store = first.Services.GetRequiredService<SubscriptionStore>();
        var conversations = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            conversations.Add((await store.SubscribeAsync(connector, "agent*", ct, TestActivities.TenantId)).ConversationId);
        }

        await Task.WhenAll(first.StartAsync(ct), second.StartAsync(ct));
        try
        {
            var matched = DeliveryHarness.Expected(papers, "agent*");
            await WaitUntilAsync(
                () => Task.FromResult(recorders.Sum(recorder => recorder.Completed("NotifySubscribers")) >= 3 && conversations.All(conversation => matched.All(id => connector.Accepted.Any(request =>
                    request.RawTarget.Contains(Uri.EscapeDataString(conversation), StringComparison.Ordinal) && request.Card!.ToJsonString().Contains("/papers/" + id, StringComparison.Ordinal))))),
                console,
                ct);
        }
        finally
        {
            await Task.WhenAll(first.StopAsync(ct), second.StopAsync(ct));
        }

        var plans = recorders.SelectMany(recorder => recorder.Executions).Where(execution => execution.Function.EndsWith("NotifySubscribers", StringComparison.Ordinal)).OrderBy(execution => execution.StartedAt).ToList();
        plans.Select(execution => execution.Host).Distinct().ShouldHaveSingleItem("NotifySubscribers ran on both hosts");
        for (var i = 1; i < plans.Count; i++)
        {
            plans[i].StartedAt.ShouldBeGreaterThanOrEqualTo(plans[i - 1].FinishedAt!.Value, "NotifySubscribers runs overlapped");
        }

        var expected = DeliveryHarness.Expected(papers, "agent*");
        foreach (var conversation in conversations)
        {
            var sent = connector.Accepted.Where(request => request.RawTarget.Contains(Uri.EscapeDataString(conversation), StringComparison.Ordinal))
                .SelectMany(request => papers.Where(paper => request.Card!.ToJsonString().Contains("/papers/" + paper.Id, StringComparison.Ordinal))).Select(paper => paper.Id).ToList();
            sent.ShouldBeUnique();
            sent.Order().ShouldBe(expected.Order());
        }
    }

    [Fact(Timeout = 180_000)]
    [Trait("Category", "Slow")]
    public async Task CreateTimerHost_CrawlAndDeliveryOnTheirSchedules_CountsWhatTheSiteStorageAndConnectorSawAndLinksTheSendsToTheFetch()
    {
        var ct = TestContext.Current.CancellationToken;
        using var console = new ConsoleCapture();
        await using var huggingFace = await LoopbackHuggingFace.StartAsync(ct);
        await using var connector = await LoopbackConnector.StartAsync(ct);
        huggingFace.Respond("/papers/date/2024-08-01", Answers.Page(File.ReadAllBytes(TestData.HfPapers("list_2024-08-01_slbqc.html")), etag: "\"v1\""));
        huggingFace.Respond("/papers/date/2024-08-02", Answers.Status(404));

        // The crawl runs a known number of times (two snapshots, then one parse, at seconds of the minute a little ahead),
        // so that no crawl is in flight when the host stops; the notifier runs every second and the queue sends.
        var second = TimeProvider.System.GetUtcNow().AddSeconds(8).Second;
        string At(params int[] offsets) => string.Join(',', offsets.Select(offset => (second + offset) % 60)) + " * * * * *";
        var prefix = NewPrefix();
        var settings = Settings(prefix, snapshots: At(0, 2), parse: At(4));
        settings["Sources:Source"] = huggingFace.BaseAddress.ToString();
        settings["Sources:Dates:0"] = "2024-08-01";
        settings["Sources:Dates:1"] = "2024-08-02";
        NotifyEverySecond(settings);
        settings["Delivery:Enabled"] = "true";
        using var capture = new TelemetryCapture();
        using var host = DigestHost.CreateTimerHost(settings, capture.Configure);
        capture.ListenTo(host.Services);
        capture.FollowTracesReaching(huggingFace.BaseAddress, new Uri(connector.ServiceUrl));
        var recorder = Record(host, "a");
        var subscription = await host.Services.GetRequiredService<SubscriptionStore>().SubscribeAsync(connector, "model*", ct);
        var ledger = host.Services.GetRequiredService<DeliveryLedger>();

        await host.StartAsync(ct);
        try
        {
            await WaitUntilAsync(
                async () => recorder.Completed("SnapshotDigests") >= 2 && recorder.Completed("ParseAndDiff") >= 1 &&
                    (await ledger.ListAsync(null, ct)).Where(entry => entry.Conversation == subscription).ToList() is { Count: > 0 } rows &&
                    rows.All(entry => entry.Row.State == DeliveryState.Sent),
                console,
                ct,
                TimeSpan.FromSeconds(150));
        }
        finally
        {
            await host.StopAsync(ct);
        }

        recorder.Executions.Where(execution => execution.Function.EndsWith("SnapshotDigests", StringComparison.Ordinal) || execution.Function.EndsWith("ParseAndDiff", StringComparison.Ordinal))
            .ShouldAllBe(execution => execution.Status == "Succeeded", console.Output);
        var storage = host.Services.GetRequiredService<DigestStorage>();
        capture.Sum("digest.pages.fetched").ShouldBe(huggingFace.Requests.Count);
        capture.Sum("digest.pages.fetched").ShouldBe(2 * recorder.Completed("SnapshotDigests"));
        capture.Sum("digest.snapshots.stored").ShouldBe(await CountRowsAsync(prefix + "snapshots", ct));
        capture.Sum("digest.pages.unchanged").ShouldBe(recorder.Completed("SnapshotDigests") - 1);
        capture.Sum("digest.pages.failed").ShouldBe(huggingFace.CountRequests("/papers/date/2024-08-02"));
        capture.Sum("digest.snapshots.parsed", tags => Equals(tags[DigestMetrics.ParseOutcomeTag], "Parsed")).ShouldBe(1);
        capture.Sum("digest.papers.new").ShouldBe(await CountRowsAsync(prefix + "papers", ct));
        var planned = (await ledger.ListAsync(null, ct)).Count;
        capture.Sum("digest.rule.matches").ShouldBe(planned);
        capture.Sum("digest.messages.sent").ShouldBe(connector.Accepted.Count);
        capture.Sum("digest.messages.failed").ShouldBe(0);

        var storedFetch = capture.Named(SnapshotDigests.FetchActivityName).Single(fetch => Equals(fetch.GetTagItem(DigestMetrics.FetchResultTag), FetchResults.Stored));
        var sends = capture.Named(DeliverySender.SendActivityName);
        sends.Count.ShouldBe(connector.Accepted.Count);
        capture.LinkedTo(storedFetch).Where(activity => activity.OperationName == DeliverySender.SendActivityName).ShouldBe(sends, ignoreOrder: true);
        (await storage.Changes.QueryAsync<Digest.Papers.ChangeRow>(cancellationToken: ct).ToListAsync(ct)).ShouldAllBe(change => change.TraceParent == storedFetch.Id);

        // Each step recorded its last run for digest status, as this host.
        var runs = await host.Services.GetRequiredService<StepRunStore>().ListAsync(ct);
        runs.ShouldAllBe(run => run.Host == "digest-run" && run.LastStartedAt != null);
        runs.Where(run => run.Step is "SnapshotDigests" or "ParseAndDiff" or "DeliverToSubscription").ShouldAllBe(run => run.Outcome == StepOutcome.Succeeded);
        runs.Single(run => run.Step == "SnapshotDigests").Summary.ShouldBe("2 pages: 0 stored, 1 unchanged, 1 failed");
    }

    [Fact]
    public async Task CreateTimerHost_HealthPortSet_AnswersHealthzAndReadyzWhenStorageAnswers()
    {
        var ct = TestContext.Current.CancellationToken;
        using var console = new ConsoleCapture();
        var port = ClosedLoopbackPort.Next();
        var settings = Settings(NewPrefix(), snapshots: OnceAYear, parse: OnceAYear);
        settings["Health:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var host = DigestHost.CreateTimerHost(settings);

        await host.StartAsync(ct);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            using var live = await client.GetAsync(new Uri("/healthz", UriKind.Relative), ct);
            using var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative), ct);
            using var other = await client.GetAsync(new Uri("/other", UriKind.Relative), ct);

            live.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
            ready.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK, await ready.Content.ReadAsStringAsync(ct));
            other.StatusCode.ShouldBe(System.Net.HttpStatusCode.NotFound);
        }
        finally
        {
            await host.StopAsync(ct);
        }
    }

    [Theory]
    [InlineData("", "digest")]
    [InlineData(null, "digest")]
    [InlineData("prod", "digest-prod")]
    [InlineData("abcdefghij0123456789", "digest-abcdefghij0123456789")]
    [InlineData("Not_Valid", "digest")]
    public void HostId_NamePrefix_GivesAValidHostIdOfItsOwn(string? prefix, string expected) =>
        DigestHost.HostId(prefix).ShouldBe(expected);

    private static string NewPrefix() => "h" + Guid.NewGuid().ToString("N")[..12];

    private static FunctionExecutionRecorder Record(IHost host, string name)
    {
        var recorder = new FunctionExecutionRecorder(name);
        host.Services.GetRequiredService<ILoggerFactory>().AddProvider(recorder);
        return recorder;
    }

    // A host that notifies every second through the loopback connector, with the bot identity's settings (and no crawl).
    private Dictionary<string, string?> NotifyingSettings(string prefix, TestIdentityProvider identity, LoopbackConnector connector)
    {
        var settings = Settings(prefix, snapshots: OnceAYear, parse: OnceAYear);
        foreach (var (key, value) in BotTestHost.Configuration(identity, connector, azurite.ConnectionString).Where(setting => !setting.Key.StartsWith("Storage:", StringComparison.Ordinal)))
        {
            settings[key] = value;
        }

        NotifyEverySecond(settings);
        return settings;
    }

    private static void NotifyEverySecond(Dictionary<string, string?> settings)
    {
        settings["Schedules:NotifySubscribers"] = EverySecond;
        settings["DeliveryQueue:MaxPollingInterval"] = "00:00:00.500";
    }

    // The delivery fixture's papers, listed today and seen ten minutes ago: new to the notifier's next run.
    private static Task<IReadOnlyList<Paper>> SeedTodaysPapersAsync(IHost host, CancellationToken cancellationToken) =>
        PaperSeeder.SeedAsync(host.Services.GetRequiredService<DigestStorage>(), TestData.HfPapers(DeliveryHarness.Fixture),
            DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime), TimeProvider.System.GetUtcNow().AddMinutes(-10), cancellationToken);

    private Dictionary<string, string?> Settings(string prefix, string snapshots, string parse) => new(StringComparer.Ordinal)
    {
        ["Storage:ConnectionString"] = azurite.ConnectionString,
        ["Storage:NamePrefix"] = prefix,
        ["Sources:Source"] = Path.GetDirectoryName(TestData.CorpusFiles[0]),
        ["Schedules:SnapshotDigests"] = snapshots,
        ["Schedules:ParseAndDiff"] = parse,
        ["Schedules:NotifySubscribers"] = OnceAYear,
    };

    private async Task<int> CountRowsAsync(string table, CancellationToken cancellationToken)
    {
        var count = 0;
        try
        {
            await foreach (var _ in azurite.TableService.GetTableClient(table).QueryAsync<TableEntity>(select: ["PartitionKey"], cancellationToken: cancellationToken))
            {
                count++;
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // The host has not created its tables yet.
        }

        return count;
    }

    /// <summary>Polls until the condition holds; gives up (failing the test with the hosts' log) after <paramref name="patience"/>
    /// (<see cref="Patience"/> unless given).</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition, ConsoleCapture console, CancellationToken cancellationToken, TimeSpan? patience = null)
    {
        var wait = patience ?? Patience;
        using var timeout = new CancellationTokenSource(wait, TimeProvider.System);
        while (!await condition())
        {
            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"The hosts did not get there within {wait.TotalSeconds} s. Their log:{Environment.NewLine}{console.Output}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
