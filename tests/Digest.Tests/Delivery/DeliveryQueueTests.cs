using Digest.Delivery;
using Digest.Delivery.Queue;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace Digest.Tests.Delivery;

/// <summary>The delivery queue on Azurite: what the notifier queues, what a redelivered message sends, and the poison
/// queue a message reaches after <c>DeliveryQueue:MaxDequeueCount</c> failures.</summary>
public sealed class DeliveryQueueTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Morning = new(2026, 6, 12, 10, 0, 0, TimeSpan.Zero);
    private static readonly string[] AgentRules = ["agent*", "diffusion"];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PlanAndEnqueueAsync_DueSubscription_QueuesOneMessageWithItsKeysAndThePlanTimeOnly()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var key = await harness.SubscribeAsync("a:" + Guid.NewGuid().ToString("N"), DeliveryMode.Instant, Cancel, AgentRules);

        var report = await harness.Services.GetRequiredService<DeliveryDispatcher>().PlanAndEnqueueAsync(Cancel);

        report.Enqueued.ShouldBe(1);
        var message = (await harness.Services.GetRequiredService<DigestStorage>().DeliveryQueue.PeekMessagesAsync(32, Cancel)).Value.ShouldHaveSingleItem();
        var request = DeliveryMessage.Parse(message.Body.ToString());
        (request.Key, request.PlannedAt).ShouldBe((key, Morning));
        (request.Lease, request.Rows).ShouldBe((null, null));
        papers.ShouldAllBe(paper => !message.Body.ToString().Contains(paper.Id, StringComparison.Ordinal));
        harness.Connector.All.ShouldBeEmpty("planning sends nothing");
    }

    [Fact]
    public async Task DrainAsync_SameMessageDeliveredTwiceAtOnce_SendsItsPapersOnce()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var conversation = "a:" + Guid.NewGuid().ToString("N");
        var key = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, AgentRules);
        await harness.Services.GetRequiredService<DeliveryDispatcher>().PlanAndEnqueueAsync(Cancel);
        var storage = harness.Services.GetRequiredService<DigestStorage>();
        var body = (await storage.DeliveryQueue.PeekMessagesAsync(1, Cancel)).Value[0].Body.ToString();

        // The queue's at-least-once delivery: the same message twice, taken by two consumers at once.
        await storage.DeliveryQueue.SendMessageAsync(body, Cancel);
        var consumer = harness.Services.GetRequiredService<DeliveryConsumer>();
        var drained = await harness.Services.GetRequiredService<DeliveryQueue>().DrainAsync(consumer.DeliverAsync, _ => null, Cancel, consumers: 2);

        drained.Results.Count.ShouldBe(2);
        drained.Results.Sum(result => result.PapersSent).ShouldBe(DeliveryHarness.Expected(papers, AgentRules).Count);
        drained.Results.Count(result => result.Outcome == DeliveryOutcome.Sent).ShouldBe(1);
        var sent = harness.PapersAcceptedBy(conversation, papers);
        sent.ShouldBeUnique();
        sent.ToHashSet().SetEquals(DeliveryHarness.Expected(papers, AgentRules)).ShouldBeTrue();
        (await harness.Outbox.ListAsync(key, Cancel)).ShouldAllBe(row => row.State == DeliveryState.Sent);
        (await storage.DeliveryQueue.PeekMessagesAsync(32, Cancel)).Value.ShouldBeEmpty();
    }

    [Fact]
    public async Task DrainAsync_MessageFailingMaxDequeueCountTimes_MovesToThePoisonQueueAndRetryPoisonQueuesItAgain()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel, new Dictionary<string, string?>
        {
            ["DeliveryQueue:MaxDequeueCount"] = "3",
            ["DeliveryQueue:VisibilityTimeout"] = "00:00:00",
            ["Delivery:PendingLease"] = "00:00:00",
        });
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var conversation = "a:" + Guid.NewGuid().ToString("N");
        var key = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, AgentRules);
        harness.Connector.Script(conversation, Enumerable.Repeat(Bot.Loopback.ConnectorAnswer.Fail(500), 3).ToArray());
        await harness.Services.GetRequiredService<DeliveryDispatcher>().PlanAndEnqueueAsync(Cancel);
        var queue = harness.Services.GetRequiredService<DeliveryQueue>();
        var consumer = harness.Services.GetRequiredService<DeliveryConsumer>();

        var failing = await queue.DrainAsync(consumer.DeliverAsync, failure => (failure as DeliveryNotCompletedException)?.Result, Cancel);

        failing.Poisoned.ShouldBe(1);
        failing.Results.Count.ShouldBe(3, "three tries, each failed");
        failing.Results.ShouldAllBe(result => result.Outcome == DeliveryOutcome.Failed);
        harness.Connector.Accepted.ShouldBeEmpty();
        var poison = (await queue.ListPoisonAsync(Cancel)).ShouldHaveSingleItem();
        (poison.Request!.Key, poison.Request.PlannedAt).ShouldBe((key, Morning));
        // Each try failed on the first message: its papers' rows counted three attempts, and all rows stay Pending.
        var rows = await harness.Outbox.ListAsync(key, Cancel);
        rows.ShouldAllBe(row => row.State == DeliveryState.Pending);
        rows.Max(row => row.Attempts).ShouldBe(3);

        (await queue.RetryPoisonAsync(Cancel)).ShouldBe(1);
        var retried = await queue.DrainAsync(consumer.DeliverAsync, _ => null, Cancel);

        (await queue.ListPoisonAsync(Cancel)).ShouldBeEmpty();
        retried.Results.ShouldHaveSingleItem().Outcome.ShouldBe(DeliveryOutcome.Sent);
        harness.PapersAcceptedBy(conversation, papers).ToHashSet().SetEquals(DeliveryHarness.Expected(papers, AgentRules)).ShouldBeTrue();
    }

    [Fact]
    public async Task DrainAsync_BodyThatIsNoDeliveryMessage_EndsInThePoisonQueueAndTheOthersAreSent()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel, new Dictionary<string, string?>
        {
            ["DeliveryQueue:MaxDequeueCount"] = "2",
            ["DeliveryQueue:VisibilityTimeout"] = "00:00:00",
        });
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var conversation = "a:" + Guid.NewGuid().ToString("N");
        await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, AgentRules);
        await harness.Services.GetRequiredService<DeliveryDispatcher>().PlanAndEnqueueAsync(Cancel);
        await harness.Services.GetRequiredService<DigestStorage>().DeliveryQueue.SendMessageAsync("{\"not\":\"a delivery\"}", Cancel);
        var queue = harness.Services.GetRequiredService<DeliveryQueue>();

        var drained = await queue.DrainAsync(harness.Services.GetRequiredService<DeliveryConsumer>().DeliverAsync, _ => null, Cancel);

        drained.Poisoned.ShouldBe(1);
        var poison = (await queue.ListPoisonAsync(Cancel)).ShouldHaveSingleItem();
        poison.Request.ShouldBeNull();
        poison.DequeueCount.ShouldBe(0, "a copy in the poison queue has not been taken from there");
        harness.PapersAcceptedBy(conversation, papers).ShouldNotBeEmpty();
    }
}
