using Azure.Data.Tables;
using Digest.Delivery;
using Digest.Delivery.Queue;
using Digest.Functions;
using Digest.Papers;
using Digest.Platforms.Teams.Connector;
using Digest.Snapshots;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Telemetry;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Functions;
using Digest.Tests.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Shouldly;

namespace Digest.Tests.Telemetry;

/// <summary>The Function App's own composition (<see cref="FunctionAppHost"/>) with its telemetry exported to memory: each
/// function called as the worker would, each its own trace, against the loopback huggingface.co and Bot Connector.</summary>
public sealed class FunctionAppTelemetryTests(AzuriteFixture azurite)
{
    private const string StoredDay = "2024-08-01";
    private const string MissingDay = "2024-08-02";
    private const string Rule = "model*";

    [Fact]
    public async Task Functions_CrawlAndDeliveryToASubscriptionAGoneAndAThrottledOne_CountEveryOutcomeAndLinkEachSendToTheFetch()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var huggingFace = await LoopbackHuggingFace.StartAsync(ct);
        await using var connector = await LoopbackConnector.StartAsync(ct);
        huggingFace.Respond("/papers/date/" + StoredDay, Answers.Page(File.ReadAllBytes(TestData.HfPapers("list_2024-08-01_slbqc.html")), etag: "\"v1\""));
        huggingFace.Respond("/papers/date/" + MissingDay, Answers.Status(404));
        var prefix = AzuriteFixture.UniqueName("f")[..13];
        var settings = FunctionAppHost.Settings(azurite.ConnectionString, prefix, huggingFace.BaseAddress.ToString(), StoredDay);
        settings["Sources:Dates:1"] = MissingDay;
        settings["Bot:Connector:MaxRetries"] = "1";
        settings["Bot:Connector:RetryBaseDelay"] = "00:00:00.010";
        settings["Delivery:MaxAttempts"] = "2";
        settings["Delivery:PendingLease"] = "00:00:00";
        using var capture = new TelemetryCapture();
        using var host = FunctionAppHost.Build(settings, capture.Configure);
        var services = host.Services;
        services.GetRequiredService<IStartupValidator>().Validate();
        capture.ListenTo(services);
        capture.FollowTracesReaching(huggingFace.BaseAddress, new Uri(connector.ServiceUrl));
        var crawl = ActivatorUtilities.CreateInstance<CrawlFunctions>(services);
        var delivery = ActivatorUtilities.CreateInstance<DeliveryFunctions>(services);

        // Two snapshot runs (the second gets 304 for the stored page), a parse, a plan for three subscriptions, and their
        // messages: one delivered, one to a conversation that is gone, one throttled on both of its two attempts; then
        // another plan.
        await crawl.SnapshotDigests(new TimerInfo(), ct);
        await crawl.SnapshotDigests(new TimerInfo(), ct);
        await crawl.ParseAndDiff(new TimerInfo(), ct);
        var store = services.GetRequiredService<SubscriptionStore>();
        var delivered = await store.SubscribeAsync(connector, Rule, ct);
        var gone = await store.SubscribeAsync(connector, Rule, ct);
        var throttled = await store.SubscribeAsync(connector, Rule, ct);
        connector.Script(gone.ConversationId, ConnectorAnswer.Fail(404, "ConversationNotFound"));
        connector.Script(throttled.ConversationId, [.. Enumerable.Repeat(ConnectorAnswer.Fail(429), 4)]);
        await delivery.NotifySubscribers(new TimerInfo(), ct);
        var storage = services.GetRequiredService<DigestStorage>();
        var messages = (await storage.DeliveryQueue.ReceiveMessagesAsync(maxMessages: 10, cancellationToken: ct)).Value;
        messages.Length.ShouldBe(3);
        string MessageOf(ConversationKey key) => messages.Single(message => message.Body.ToString().Contains(key.ConversationId, StringComparison.Ordinal)).Body.ToString();
        await delivery.DeliverToSubscription(MessageOf(delivered), ct);
        await delivery.DeliverToSubscription(MessageOf(gone), ct);
        await Should.ThrowAsync<DeliveryNotCompletedException>(() => delivery.DeliverToSubscription(MessageOf(throttled), ct));
        await Should.ThrowAsync<DeliveryNotCompletedException>(() => delivery.DeliverToSubscription(MessageOf(throttled), ct));

        // The next run sees the same changes again (Delivery:ChangeOverlap) and plans nothing new: nothing more matched.
        await delivery.NotifySubscribers(new TimerInfo(), ct);

        // The crawl's counts are what the site was asked and what storage holds.
        var snapshots = await storage.SnapshotLog.QueryAsync<TableEntity>(cancellationToken: ct).CountAsync(ct);
        var papers = await storage.Papers.QueryAsync<TableEntity>(cancellationToken: ct).CountAsync(ct);
        var changes = await storage.Changes.QueryAsync<ChangeRow>(cancellationToken: ct).ToListAsync(ct);
        capture.Sum("digest.pages.fetched").ShouldBe(huggingFace.Requests.Count);
        capture.Sum("digest.pages.fetched").ShouldBe(4);
        capture.Sum("digest.snapshots.stored").ShouldBe(snapshots);
        capture.Sum("digest.snapshots.stored").ShouldBe(1);
        capture.Sum("digest.pages.unchanged").ShouldBe(1);
        capture.Sum("digest.pages.failed").ShouldBe(huggingFace.CountRequests("/papers/date/" + MissingDay));
        capture.Sum("digest.snapshots.parsed", tags => Equals(tags[DigestMetrics.ParseOutcomeTag], "Parsed") && Equals(tags[DigestMetrics.ParsePathTag], "DataProps")).ShouldBe(snapshots);
        capture.Sum("digest.papers.new").ShouldBe(papers);
        capture.Sum("digest.papers.new").ShouldBe(changes.Count(change => change.Kind == ChangeKind.New));

        // The delivery's counts are what the outbox holds and what the connector saw.
        var rows = await services.GetRequiredService<DeliveryLedger>().ListAsync(null, ct);
        var matchedPerSubscription = rows.Count(entry => entry.Conversation == delivered);
        matchedPerSubscription.ShouldBeGreaterThan(0);
        capture.Sum("digest.rule.matches").ShouldBe(rows.Count);
        capture.Sum("digest.rule.matches").ShouldBe(3 * matchedPerSubscription);
        capture.Sum("digest.messages.sent").ShouldBe(connector.Accepted.Count);
        connector.Accepted.ShouldAllBe(request => request.RawTarget.Contains(Uri.EscapeDataString(delivered.ConversationId), StringComparison.Ordinal));
        capture.Sum("digest.subscriptions.deactivated").ShouldBe(1);
        capture.Sum("digest.messages.failed", tags => Equals(tags[DigestMetrics.ReasonTag], nameof(DeliveryFailureKind.Transient))).ShouldBe(2);
        capture.Sum("digest.messages.throttled").ShouldBe(2);
        capture.Sum("digest.messages.retried").ShouldBe(1);
        capture.Sum("digest.messages.dead_lettered").ShouldBe(1);
        rows.Where(entry => entry.Conversation == throttled).ShouldContain(entry => entry.Row.State == DeliveryState.Failed);
        capture.Count("digest.platform.request.duration", tags => Equals(tags[DigestMetrics.OperationTag], BotConnectorClient.Operations.Send))
            .ShouldBe(connector.Accepted.Count + 1 + 2);

        // One trace id from the fetch to every send: the fetch that stored the page is linked by the parse and by each
        // message (delivered or not) that carried its papers.
        var storedFetch = capture.Named(SnapshotDigests.FetchActivityName).Single(fetch => Equals(fetch.GetTagItem(DigestMetrics.FetchResultTag), FetchResults.Stored));
        changes.ShouldAllBe(change => change.TraceParent == storedFetch.Id);
        var sends = capture.Named(DeliverySender.SendActivityName);
        sends.Count.ShouldBe(connector.Accepted.Count + 1 + 2);
        sends.ShouldAllBe(send => send.TraceId != storedFetch.TraceId);
        capture.LinkedTo(storedFetch).Where(activity => activity.OperationName == DeliverySender.SendActivityName).ShouldBe(sends, ignoreOrder: true);
        capture.LinkedTo(storedFetch).ShouldContain(activity => activity.OperationName == Digest.Crawling.ParseAndDiff.ParseActivityName);
    }
}
