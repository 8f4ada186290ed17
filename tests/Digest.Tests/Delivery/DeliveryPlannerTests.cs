using Digest.Delivery;
using Digest.Papers;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace Digest.Tests.Delivery;

/// <summary>The planner and the sender apart: what a plan costs, and a request handled twice.</summary>
public sealed class DeliveryPlannerTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Morning = new(2026, 6, 12, 10, 0, 0, TimeSpan.Zero);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SendAsync_SameRequestTwiceAtOnce_EachPaperArrivesOnce()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel, new Dictionary<string, string?> { ["Delivery:MaxPapersPerMessage"] = "2" });
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var conversation = "a:" + Guid.NewGuid().ToString("N");
        await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, "agent*", "diffusion");
        var expected = DeliveryHarness.Expected(papers, "agent*", "diffusion");
        var plan = await harness.Services.GetRequiredService<DeliveryPlanner>().PlanAsync(Cancel);
        var request = plan.Requests.ShouldHaveSingleItem();
        var sender = harness.Services.GetRequiredService<DeliverySender>();

        // A queue message delivered twice, to two consumers at once.
        var results = await Task.WhenAll(sender.SendAsync(request, Cancel), sender.SendAsync(request, Cancel));
        var again = await sender.SendAsync(request, Cancel);

        results.Sum(result => result.PapersSent).ShouldBe(expected.Count);
        again.Outcome.ShouldBe(DeliveryOutcome.NothingToSend);
        var arrived = harness.PapersSentTo(conversation, papers);
        arrived.ShouldBeUnique();
        arrived.ToHashSet().SetEquals(expected).ShouldBeTrue();
    }

    [Fact]
    public async Task SendAsync_PlannersLeaseYoung_AnotherSenderLeavesTheRowsToThePlannersSender()
    {
        await using var planned = await PlanForThisProcessAsync();
        var (harness, key, request) = (planned.Harness, planned.Key, planned.Request);
        request.Lease.ShouldNotBeNull(); // the planner created the marker: its rows and a lease on it are handed over
        var sender = harness.Services.GetRequiredService<DeliverySender>();

        // Before the planner's own sender gets to it, another sender (a digest asked for in chat) tries, and a later plan
        // marks the subscription again.
        var other = await sender.SendAsync(new DeliveryRequest(key, Morning), Cancel);
        await harness.Services.GetRequiredService<PendingDeliveries>().MarkAsync([key], Morning, Cancel);
        var planners = await sender.SendAsync(request, Cancel);
        var after = await sender.SendAsync(new DeliveryRequest(key, Morning), Cancel);

        other.LeftToAnotherSender.ShouldBeTrue();
        other.PapersSent.ShouldBe(0);
        planners.PapersSent.ShouldBe(planned.Expected.Count);
        after.PapersSent.ShouldBe(0);
        planned.ShouldHaveArrivedOnce();
    }

    [Fact]
    public async Task SendAsync_PlannersLeaseOlderThanHalfItsLength_TakesItAgainAndSendsEachPaperOnce()
    {
        await using var planned = await PlanForThisProcessAsync();
        var harness = planned.Harness;
        harness.Time.Advance(harness.Options.PendingLease * 0.6);

        var result = await harness.Services.GetRequiredService<DeliverySender>().SendAsync(planned.Request, Cancel);

        result.PapersSent.ShouldBe(planned.Expected.Count);
        planned.ShouldHaveArrivedOnce();
        (await harness.Services.GetRequiredService<PendingDeliveries>().ListAsync(Cancel)).ShouldBeEmpty();
    }

    [Fact]
    public async Task SendAsync_PlannersLeaseExpiredAndTakenOverByAnotherSender_SendsThemNoMore()
    {
        await using var planned = await PlanForThisProcessAsync();
        var harness = planned.Harness;
        var sender = harness.Services.GetRequiredService<DeliverySender>();
        harness.Time.Advance(harness.Options.PendingLease + TimeSpan.FromSeconds(1));

        // The planner's process stalled past the lease: a later run's sender takes the subscription over.
        (await sender.SendAsync(new DeliveryRequest(planned.Key, harness.Time.GetUtcNow()), Cancel)).PapersSent.ShouldBe(planned.Expected.Count);
        var late = await sender.SendAsync(planned.Request, Cancel);

        late.PapersSent.ShouldBe(0);
        planned.ShouldHaveArrivedOnce();
    }

    // One instant subscription whose rules match the fixture's papers, planned for a sender of this process.
    private async Task<PlannedSubscription> PlanForThisProcessAsync()
    {
        var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var conversation = "a:" + Guid.NewGuid().ToString("N");
        var key = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, "agent*", "diffusion");
        var request = (await harness.Services.GetRequiredService<DeliveryPlanner>().PlanAsync(sendHere: true, Cancel)).Requests.ShouldHaveSingleItem();
        return new PlannedSubscription(harness, conversation, key, papers, DeliveryHarness.Expected(papers, "agent*", "diffusion"), request);
    }

    private sealed record PlannedSubscription(DeliveryHarness Harness, string Conversation, ConversationKey Key, IReadOnlyList<Paper> Papers, HashSet<string> Expected, DeliveryRequest Request)
        : IAsyncDisposable
    {
        public void ShouldHaveArrivedOnce()
        {
            var arrived = Harness.PapersSentTo(Conversation, Papers);
            arrived.ShouldBeUnique();
            arrived.ToHashSet().SetEquals(Expected).ShouldBeTrue();
        }

        public ValueTask DisposeAsync() => Harness.DisposeAsync();
    }

    [Theory]
    [InlineData(3)]
    [InlineData(30)]
    public async Task PlanAsync_SubscriptionsWithNothingNew_ReadsAndWritesTheSameWhateverTheirNumber(int count)
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        for (var i = 0; i < count; i++)
        {
            await harness.SubscribeAsync("a:" + Guid.NewGuid().ToString("N"), DeliveryMode.Instant, Cancel, "nothingmatchesthisword");
        }

        await harness.Notifier.RunAsync(Cancel);
        var counter = harness.Services.GetRequiredService<StorageRequestCounter>();
        harness.Time.Advance(TimeSpan.FromMinutes(15));
        var before = counter.Current;

        var report = await harness.Notifier.RunAsync(Cancel);

        // Subscriptions, their watermarks, rules, the planner's state, the change log, the papers it names (one partition)
        // and the pending index: one read each; one write (the planner's state). Nothing per subscription.
        report.Subscriptions.Count.ShouldBe(count);
        report.Subscriptions.ShouldAllBe(subscription => subscription.Outcome == DeliveryOutcome.NothingToSend);
        (counter.Current - before).ShouldBe(new StorageTransactions(Reads: 7, Writes: 1));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(30)]
    public async Task PlanAsync_SecondRunWithNothingNewAfterMatches_WritesNothingForTheReceiptsAlreadyPlanned(int count)
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        for (var i = 0; i < count; i++)
        {
            await harness.SubscribeAsync("a:" + Guid.NewGuid().ToString("N"), DeliveryMode.Instant, Cancel, "agent*", "diffusion");
        }

        var first = await harness.Notifier.RunAsync(Cancel);
        first.PapersSent.ShouldBeGreaterThan(count);
        var counter = harness.Services.GetRequiredService<StorageRequestCounter>();
        harness.Time.Advance(TimeSpan.FromMinutes(15));
        var before = counter.Current;

        // The changes are still within Delivery:ChangeOverlap, so every pair matches again: it is already planned.
        var plan = await harness.Services.GetRequiredService<DeliveryPlanner>().PlanAsync(Cancel);

        plan.PapersPlanned.ShouldBe(0);
        plan.Requests.ShouldBeEmpty();
        // The seven reads of a quiet run and one for the receipts of the subscriptions' one tenant; one write (the
        // planner's state). Nothing per subscription or per pair.
        (counter.Current - before).ShouldBe(new StorageTransactions(Reads: 8, Writes: 1));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(30)]
    public async Task PlanAsync_SubscriptionsOfOneTenantMatchingNewPapers_WritesTheirReceiptsInBatchesOfAHundred(int count)
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var keys = new List<ConversationKey>();
        for (var i = 0; i < count; i++)
        {
            keys.Add(await harness.SubscribeAsync("a:" + Guid.NewGuid().ToString("N"), DeliveryMode.Instant, Cancel, "agent*", "diffusion"));
        }

        // A first run makes the subscriptions known (their watermarks); the papers arrive after it.
        var planner = harness.Services.GetRequiredService<DeliveryPlanner>();
        await planner.PlanAsync(Cancel);
        harness.Time.Advance(TimeSpan.FromMinutes(15));
        var papers = await harness.SeedPapersAsync(harness.Time.GetUtcNow().AddMinutes(-5), Cancel);
        var counter = harness.Services.GetRequiredService<StorageRequestCounter>();
        var before = counter.Current;

        var plan = await planner.PlanAsync(Cancel);

        var pairs = DeliveryHarness.Expected(papers, "agent*", "diffusion").Count * count;
        plan.PapersPlanned.ShouldBe(pairs);
        // Receipts in one transaction per 100 rows of the tenant's partition, the pending markers per 100 of a marker
        // partition before and after them, the planner's state.
        var markerBatches = keys.GroupBy(SubscriptionSpread.PartitionOf).Sum(partition => (partition.Count() + 99) / 100);
        (counter.Current - before).Writes.ShouldBe(((pairs + 99) / 100) + (2 * markerBatches) + 1);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(130)]
    public async Task PlanAsync_NewSubscriptions_WritesTheirWatermarksInBatchesOfAHundred(int count)
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var keys = new List<ConversationKey>();
        for (var i = 0; i < count; i++)
        {
            keys.Add(await harness.SubscribeAsync("a:" + Guid.NewGuid().ToString("N"), DeliveryMode.Instant, Cancel, "nothing-matches-this"));
        }

        var counter = harness.Services.GetRequiredService<StorageRequestCounter>();
        var before = counter.Current;

        var plan = await harness.Services.GetRequiredService<DeliveryPlanner>().PlanAsync(Cancel);

        plan.Due.Count.ShouldBe(count);
        // The watermarks per 100 of a partition, and the planner's state: not a write per subscription.
        var watermarkBatches = keys.GroupBy(SubscriptionSpread.PartitionOf).Sum(partition => (partition.Count() + 99) / 100);
        (counter.Current - before).Writes.ShouldBe(watermarkBatches + 1);
        foreach (var key in keys)
        {
            (await harness.WatermarkAsync(key, Cancel)).ShouldBe(Morning);
        }
    }

    [Fact]
    public async Task PlanAsync_DailySubscriptionWithAWatermarkOnlyOnItsRow_IsNotDueAgainTheSameDay()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var key = await harness.SubscribeAsync("a:" + Guid.NewGuid().ToString("N"), new DeliveryMode(DeliveryCadence.Daily, new TimeOnly(8, 0), "UTC"), Cancel, "agent*");
        // Where an older version kept the watermark: its digest of today went out at 08:05.
        await harness.Store.UpdateAsync(key, null, current => current with { DeliveryWatermark = Morning.AddHours(-2).AddMinutes(5) }, Cancel);

        var plan = await harness.Services.GetRequiredService<DeliveryPlanner>().PlanAsync(Cancel);

        plan.Due.ShouldNotContain(key);
        (await harness.WatermarkAsync(key, Cancel)).ShouldBe(Morning.AddHours(-2).AddMinutes(5));
    }

    [Fact]
    public async Task SendAsync_RequestOfAPlanInTheSameProcess_ReadsNothingAndWritesReceiptsAndMarker()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var conversation = "a:" + Guid.NewGuid().ToString("N");
        var key = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, "agent*", "diffusion");
        var planner = harness.Services.GetRequiredService<DeliveryPlanner>();
        await planner.PlanAsync(Cancel);
        harness.Time.Advance(TimeSpan.FromMinutes(15));
        var papers = await harness.SeedPapersAsync(harness.Time.GetUtcNow().AddMinutes(-5), Cancel);
        var request = (await planner.PlanAsync(sendHere: true, Cancel)).Requests.ShouldHaveSingleItem();
        var counter = harness.Services.GetRequiredService<StorageRequestCounter>();
        var before = counter.Current;

        var result = await harness.Services.GetRequiredService<DeliverySender>().SendAsync(request, Cancel);

        var expected = DeliveryHarness.Expected(papers, "agent*", "diffusion");
        result.PapersSent.ShouldBe(expected.Count);
        harness.PapersSentTo(conversation, papers).ToHashSet().SetEquals(expected).ShouldBeTrue();
        // The planner's rows, subscription, papers and lease (taken when it marked the subscription) are used as they
        // are: a receipt per message, the marker removed.
        (counter.Current - before).ShouldBe(new StorageTransactions(Reads: 0, Writes: 1 + result.MessagesSent));
        (await harness.Services.GetRequiredService<PendingDeliveries>().ListAsync(Cancel)).ShouldBeEmpty();
        (await harness.Outbox.ListAsync(key, Cancel)).Count(row => row.State == DeliveryState.Sent).ShouldBe(expected.Count);
    }
}
