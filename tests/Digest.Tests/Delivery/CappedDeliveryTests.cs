using Digest.Delivery;
using Digest.Papers;
using Digest.Steps;
using Digest.Steps.Runs;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace Digest.Tests.Delivery;

/// <summary>A subscription's cap (<c>limit N</c>) on the scheduled path: Azurite, the loopback Bot Connector, a fake
/// clock. Papers beyond the cap are held, never sent by a later run, and every one goes out once through "show more".</summary>
public sealed class CappedDeliveryTests(AzuriteFixture azurite)
{
    private const int Limit = 3;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static List<string> PaperIds(ConnectorRequest card, IReadOnlyList<Paper> papers) =>
        [.. papers.Where(paper => card.Card!.ToJsonString().Contains("/papers/" + paper.Id, StringComparison.Ordinal)).Select(paper => paper.Id)];

    private static string? ShowMoreCommand(ConnectorRequest card) => (string?)card.Card!["actions"]?[0]?["data"]?["command"];

    private static string ShowMoreTitle(ConnectorRequest card) => (string)card.Card!["actions"]![0]!["title"]!;

    [Fact]
    public async Task RunAsync_CappedDailyDigests_HeldPapersWaitForShowMoreAndTheNextDigestsButtonCountsThem()
    {
        // Friday 2026-06-12, daily at 08:00 UTC.
        var friday = new DateTimeOffset(2026, 6, 12, 8, 0, 0, TimeSpan.Zero);
        await using var harness = await DeliveryHarness.StartAsync(azurite, friday.AddHours(-2), Cancel);
        var papers = await DeliveryHarness.FixturePapersAsync(friday, Cancel);
        var scenario = FeedbackScenario.Of(papers);
        var (expectedFirst, expectedSecond) = (DeliveryHarness.Expected(scenario.First, FeedbackScenario.Rules), DeliveryHarness.Expected(scenario.Second, FeedbackScenario.Rules));
        expectedFirst.Count.ShouldBeGreaterThan(Limit);
        expectedSecond.Count.ShouldBeGreaterThan(Limit);
        var conversation = "a:" + Guid.NewGuid().ToString("N");
        var key = await harness.SubscribeAsync(conversation, new DeliveryMode(DeliveryCadence.Daily, new TimeOnly(8, 0), "UTC"), Cancel, FeedbackScenario.Rules);
        await harness.Store.UpdateAsync(key, null, current => current with { MessageLimit = Limit }, Cancel);
        await harness.ObserveAsync(scenario.First, friday.AddHours(-1), Cancel);

        harness.Time.SetUtcNow(friday);
        var report = await harness.Notifier.RunAsync(Cancel);

        var delivery = report.For(key).ShouldNotBeNull();
        (delivery.PapersSent, delivery.MessagesSent, delivery.PapersHeld).ShouldBe((Limit, 1, expectedFirst.Count - Limit));
        var first = harness.SentTo(conversation).ShouldHaveSingleItem();
        ((string)first.Card!["body"]![0]!["text"]!).ShouldBe($"{expectedFirst.Count} papers matched your rules, {Limit} shown");
        var firstButton = ShowMoreCommand(first).ShouldNotBeNull();

        // Later runs that day, and a run with nothing new: the held papers stay held.
        foreach (var at in (DateTimeOffset[])[friday.AddMinutes(15), friday.AddHours(4), friday.AddHours(12)])
        {
            harness.Time.SetUtcNow(at);
            (await harness.Notifier.RunAsync(Cancel)).MessagesSent.ShouldBe(0);
        }

        harness.SentTo(conversation).Count.ShouldBe(1);
        (await harness.Outbox.ListHeldAsync(key, Cancel)).Count.ShouldBe(expectedFirst.Count - Limit);
        var ledger = ActivatorUtilities.CreateInstance<DeliveryLedger>(harness.Services);
        (await ActivatorUtilities.CreateInstance<DigestStatus>(harness.Services, ledger, ActivatorUtilities.CreateInstance<StepRunStore>(harness.Services)).ReadAsync(Cancel)).Held.ShouldBe(expectedFirst.Count - Limit);

        // Saturday's digest: its own first three, and one button for everything held, its own and Friday's.
        var saturday = friday.AddDays(1);
        await harness.ObserveAsync(scenario.Second, saturday.AddHours(-1), Cancel);
        harness.Time.SetUtcNow(saturday);
        (await harness.Notifier.RunAsync(Cancel)).For(key)!.PapersHeld.ShouldBe(expectedFirst.Count + expectedSecond.Count - (2 * Limit));

        var second = harness.SentTo(conversation)[1];
        PaperIds(second, papers).ShouldBeSubsetOf(expectedSecond);
        ShowMoreTitle(second).ShouldBe($"Show {Limit} more ({expectedFirst.Count + expectedSecond.Count - (2 * Limit)} waiting)");
        var sender = harness.Services.GetRequiredService<DeliverySender>();
        var subscription = (await harness.Store.GetAsync(key, Cancel))!;
        (await sender.SendHeldAsync(subscription, firstButton["more ".Length..], Cancel)).Outcome.ShouldBe(DeliveryOutcome.NothingToSend, "Friday's button: its papers moved behind Saturday's");

        var card = second;
        while (ShowMoreCommand(card) is { } command)
        {
            var before = harness.SentTo(conversation).Count;
            var batch = command["more ".Length..];
            (await sender.SendHeldAsync(subscription, batch, Cancel)).Outcome.ShouldBe(DeliveryOutcome.Sent);
            (await sender.SendHeldAsync(subscription, batch, Cancel)).Outcome.ShouldBe(DeliveryOutcome.NothingToSend, "the same button again");
            harness.SentTo(conversation).Count.ShouldBe(before + 1);
            card = harness.SentTo(conversation)[before];
        }

        var sent = harness.PapersSentTo(conversation, papers);
        sent.ShouldBeUnique();
        sent.ShouldBe(expectedFirst.Union(expectedSecond), ignoreOrder: true);
        (await harness.Outbox.ListAsync(key, Cancel)).ShouldAllBe(row => row.State == DeliveryState.Sent);
    }

    [Fact]
    public async Task SendHeldAsync_ConnectorFails_TheBatchStaysHeldAndAClickAfterTheLeaseSendsIt()
    {
        var now = new DateTimeOffset(2026, 6, 12, 10, 0, 0, TimeSpan.Zero);
        await using var harness = await DeliveryHarness.StartAsync(azurite, now, Cancel);
        var papers = await harness.SeedPapersAsync(now.AddMinutes(-10), Cancel);
        var expected = DeliveryHarness.Expected(papers, FeedbackScenario.Rules);
        var conversation = "a:" + Guid.NewGuid().ToString("N");
        var key = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, FeedbackScenario.Rules);
        await harness.Store.UpdateAsync(key, null, current => current with { MessageLimit = Limit }, Cancel);
        await harness.Notifier.RunAsync(Cancel);
        var batch = ShowMoreCommand(harness.SentTo(conversation).ShouldHaveSingleItem()).ShouldNotBeNull()["more ".Length..];
        var sender = harness.Services.GetRequiredService<DeliverySender>();
        var subscription = (await harness.Store.GetAsync(key, Cancel))!;

        harness.Connector.Script(conversation, ConnectorAnswer.Fail(500, "ServiceError"));
        (await sender.SendHeldAsync(subscription, batch, Cancel)).Outcome.ShouldBe(DeliveryOutcome.Failed);
        var held = await harness.Outbox.ListHeldAsync(key, Cancel);
        held.Count.ShouldBe(expected.Count - Limit);
        held.Where(row => row.HeldBatch == batch).ShouldAllBe(row => row.Attempts == 1);

        // Within the lease the failed click's claim holds; after it, the same button sends the batch.
        harness.Time.Advance(harness.Options.PendingLease);
        (await sender.SendHeldAsync(subscription, batch, Cancel)).PapersSent.ShouldBe(Limit);
        (await harness.Outbox.ListHeldAsync(key, Cancel)).Count.ShouldBe(expected.Count - (2 * Limit));
    }
}
