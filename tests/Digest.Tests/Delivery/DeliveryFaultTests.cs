using Digest.Delivery;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Shouldly;

namespace Digest.Tests.Delivery;

/// <summary>Faults of the connector, the token endpoint and the host during a run, each contained to its
/// subscription: counted by what the loopback connector accepted, over Azurite, with fake time for the schedule.</summary>
public sealed class DeliveryFaultTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Morning = new(2026, 6, 12, 10, 0, 0, TimeSpan.Zero);
    private static readonly string[] AgentRules = ["agent*", "diffusion"];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    // A connector that never answers costs one short attempt, not HttpClient's 100 s; retries back off briefly.
    private static Dictionary<string, string?> FastConnector(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Bot:Connector:AttemptTimeout"] = "00:00:01",
            ["Bot:Connector:RetryBaseDelay"] = "00:00:00.050",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    private static string NewConversation() => "a:" + Guid.NewGuid().ToString("N");

    [Fact(Timeout = 120_000)]
    [Trait("Category", "Slow")]
    public async Task RunAsync_HangingThrottledFailingAndGoneConnectorsAndATokenOutage_EachContainedAndEveryPaperArrivesOnce()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel, FastConnector(("Delivery:MaxPapersPerMessage", "3")));
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var expected = DeliveryHarness.Expected(papers, AgentRules);
        var (healthy, hangs, flaky, throttled, gone) = (NewConversation(), NewConversation(), NewConversation(), NewConversation(), NewConversation());
        var keys = new Dictionary<string, ConversationKey>(StringComparer.Ordinal);
        foreach (var conversation in new[] { healthy, hangs, flaky, throttled, gone })
        {
            keys[conversation] = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, AgentRules);
        }

        harness.Connector.Script(hangs, ConnectorAnswer.NoAnswer);
        harness.Connector.Script(flaky, ConnectorAnswer.Fail(500, "ServiceError"));
        harness.Connector.Script(throttled, ConnectorAnswer.Fail(429, "Throttled", retryAfter: "2"));
        harness.Connector.Script(gone, ConnectorAnswer.Fail(403, "BotNotInConversationRoster"));
        harness.Identity.FailNextTokenRequests(1);

        var first = await harness.Notifier.RunAsync(Cancel);

        first.Subscriptions.Count.ShouldBe(5);
        first.For(keys[healthy])!.Outcome.ShouldBe(DeliveryOutcome.Sent);
        first.For(keys[throttled])!.Outcome.ShouldBe(DeliveryOutcome.Sent, "a 429 with Retry-After: 2 is waited for and retried");
        first.For(keys[gone])!.Outcome.ShouldBe(DeliveryOutcome.Deactivated);
        foreach (var failing in new[] { hangs, flaky })
        {
            first.For(keys[failing])!.Outcome.ShouldBe(DeliveryOutcome.Failed);
            var rows = await harness.Outbox.ListAsync(keys[failing], Cancel);
            rows.Where(row => row.State != DeliveryState.Sent).Select(row => row.PaperId).ShouldNotBeEmpty();
            rows.ShouldNotContain(row => row.State == DeliveryState.Failed);
            rows.ShouldContain(row => row.Attempts == 1 && row.LastError!.Length > 0);
        }

        first.DeadLettered.ShouldBe(0);
        harness.PapersAcceptedBy(hangs, papers).ShouldBeEmpty();

        harness.Time.Advance(TimeSpan.FromMinutes(15));
        var second = await harness.Notifier.RunAsync(Cancel);

        second.For(keys[hangs])!.Outcome.ShouldBe(DeliveryOutcome.Sent);
        second.For(keys[flaky])!.Outcome.ShouldBe(DeliveryOutcome.Sent);
        second.For(keys[gone]).ShouldBeNull();
        foreach (var live in new[] { healthy, hangs, flaky, throttled })
        {
            var arrived = harness.PapersAcceptedBy(live, papers);
            arrived.ShouldBeUnique($"conversation {live}");
            arrived.ToHashSet().SetEquals(expected).ShouldBeTrue($"conversation {live}");
            (await harness.Outbox.ListAsync(keys[live], Cancel)).ShouldAllBe(row => row.State == DeliveryState.Sent);
        }

        harness.PapersAcceptedBy(gone, papers).ShouldBeEmpty();
        var deactivated = (await harness.Store.GetAsync(keys[gone], Cancel))!;
        deactivated.Installed.ShouldBeFalse();
        (await harness.Store.ListRulesAsync(keys[gone], Cancel)).Count.ShouldBe(AgentRules.Length);
    }

    [Fact]
    public async Task RunAsync_HostKilledBetweenMessages_NextRunDeliversTheRestAndNothingTwice()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel, FastConnector(("Delivery:MaxPapersPerMessage", "2")));
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var expected = DeliveryHarness.Expected(papers, AgentRules);
        expected.Count.ShouldBeGreaterThan(4, "each conversation needs several messages");
        string[] conversations = [NewConversation(), NewConversation(), NewConversation()];
        foreach (var conversation in conversations)
        {
            await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, AgentRules);
        }

        using var host = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        harness.Connector.StopAfterAccepted(4, host.Cancel);

        await Should.ThrowAsync<OperationCanceledException>(() => harness.Notifier.RunAsync(host.Token));
        harness.Connector.Accepted.Count.ShouldBe(4);

        harness.Time.Advance(TimeSpan.FromMinutes(15));
        var next = await harness.Notifier.RunAsync(Cancel);

        next.Subscriptions.Count.ShouldBe(conversations.Length);
        foreach (var conversation in conversations)
        {
            var arrived = harness.PapersAcceptedBy(conversation, papers);
            arrived.ShouldBeUnique($"conversation {conversation}");
            arrived.ToHashSet().SetEquals(expected).ShouldBeTrue($"conversation {conversation}");
        }
    }

    [Fact(Timeout = 120_000)]
    [Trait("Category", "Slow")]
    public async Task RunAsync_RowFailingMaxAttemptsTimes_BecomesFailedIsReportedAndIsNeverSentAgain()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel, FastConnector(("Delivery:MaxAttempts", "2"), ("Delivery:MaxPapersPerMessage", "50")));
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var expected = DeliveryHarness.Expected(papers, "agent*");
        var (poisoned, fine) = (NewConversation(), NewConversation());
        var poisonedKey = await harness.SubscribeAsync(poisoned, DeliveryMode.Instant, Cancel, "agent*");
        await harness.SubscribeAsync(fine, DeliveryMode.Instant, Cancel, "agent*");
        harness.Connector.Script(poisoned, ConnectorAnswer.Fail(500, "ServiceError"), ConnectorAnswer.Fail(500, "ServiceError"));

        var first = await harness.Notifier.RunAsync(Cancel);
        first.For(poisonedKey)!.Outcome.ShouldBe(DeliveryOutcome.Failed);
        first.DeadLettered.ShouldBe(0);
        (await harness.Outbox.ListAsync(poisonedKey, Cancel)).ShouldAllBe(row => row.State == DeliveryState.Pending && row.Attempts == 1);

        harness.Time.Advance(TimeSpan.FromMinutes(15));
        var second = await harness.Notifier.RunAsync(Cancel);

        second.For(poisonedKey)!.Outcome.ShouldBe(DeliveryOutcome.Failed);
        second.For(poisonedKey)!.DeadLettered.ShouldBe(expected.Count);
        second.DeadLettered.ShouldBe(expected.Count);
        var dead = await harness.Outbox.ListAsync(poisonedKey, Cancel);
        dead.Select(row => row.PaperId).ToHashSet().SetEquals(expected).ShouldBeTrue();
        dead.ShouldAllBe(row => row.State == DeliveryState.Failed && row.Attempts == 2 && row.LastError!.Contains("500", StringComparison.Ordinal));
        var requests = harness.SentTo(poisoned).Count;

        harness.Time.Advance(TimeSpan.FromMinutes(15));
        var third = await harness.Notifier.RunAsync(Cancel);

        third.For(poisonedKey)!.Outcome.ShouldBe(DeliveryOutcome.NothingToSend);
        harness.SentTo(poisoned).Count.ShouldBe(requests);
        (await harness.Outbox.ListAsync(poisonedKey, Cancel)).ShouldAllBe(row => row.State == DeliveryState.Failed);
        harness.PapersAcceptedBy(fine, papers).ToHashSet().SetEquals(expected).ShouldBeTrue();
    }
}
