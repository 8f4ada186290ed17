using Azure.Data.Tables;
using Digest.Platforms.Teams;
using Digest.Platforms.Teams.Schema;
using Digest.Delivery;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace Digest.Tests.Delivery;

/// <summary>The notifier end to end: Azurite tables, the loopback Bot Connector and token endpoint, fake time.</summary>
public sealed class NotifySubscribersTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Morning = new(2026, 6, 12, 10, 0, 0, TimeSpan.Zero);
    private static readonly string[] AgentRules = ["agent*", "diffusion"];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string NewConversation() => "a:" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task RunAsync_InstantSubscription_SendsTheMatchedNewPapersOnceAndTheNextRunNothing()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel, new Dictionary<string, string?> { ["Delivery:MaxPapersPerMessage"] = "3" });
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var conversation = NewConversation();
        var key = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, AgentRules);
        var expected = DeliveryHarness.Expected(papers, AgentRules);
        expected.Count.ShouldBeGreaterThan(3, "the fixture should need more than one message");

        var report = await harness.Notifier.RunAsync(Cancel);

        var delivery = report.For(key).ShouldNotBeNull();
        delivery.Outcome.ShouldBe(DeliveryOutcome.Sent);
        delivery.PapersSent.ShouldBe(expected.Count);
        var messages = harness.SentTo(conversation);
        messages.Count.ShouldBe((expected.Count + 2) / 3);
        delivery.MessagesSent.ShouldBe(messages.Count);
        messages.ShouldAllBe(message => message.Method == "POST" && message.Authorization!.StartsWith("Bearer ", StringComparison.Ordinal));
        ((string)messages[0].Card!["body"]![0]!["text"]!).ShouldBe($"{expected.Count} papers matched your rules (1 of {messages.Count})");
        var sent = harness.PapersSentTo(conversation, papers);
        sent.ShouldBeUnique();
        sent.ToHashSet().SetEquals(expected).ShouldBeTrue();

        var receipts = await harness.Outbox.ListAsync(key, Cancel);
        receipts.Select(row => row.PaperId).ToHashSet().SetEquals(expected).ShouldBeTrue();
        receipts.ShouldAllBe(row => row.State == DeliveryState.Sent && row.ActivityId!.StartsWith("activity-", StringComparison.Ordinal) && row.Highlights.Length > 0 && row.SentAt == Morning);
        receipts.Select(row => row.ActivityId).Distinct().Count().ShouldBe(messages.Count);
        (await harness.WatermarkAsync(key, Cancel)).ShouldBe(Morning);

        harness.Time.Advance(TimeSpan.FromMinutes(15));
        var again = await harness.Notifier.RunAsync(Cancel);

        again.For(key)!.Outcome.ShouldBe(DeliveryOutcome.NothingToSend);
        harness.SentTo(conversation).Count.ShouldBe(messages.Count);
        (await harness.Outbox.ListAsync(key, Cancel)).ShouldAllBe(row => row.State == DeliveryState.Sent && row.SentAt == Morning);
        // Nothing new: the run writes nothing for the subscription; its window moves with the planner's last run.
        (await harness.WatermarkAsync(key, Cancel)).ShouldBe(Morning);
    }

    [Fact] // issue 7 item 8: a row stored before channels were keyed by channel names the thread it was spoken in
    public async Task RunAsync_ChannelReferenceNamingAThread_PostsNewInTheChannel()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var channel = TestActivities.ChannelId();
        var thread = TestActivities.ChannelPost(channel);
        var key = ConversationKey.Create("msteams", TestActivities.TenantId, thread);
        var reference = new ConversationReference
        {
            ChannelId = "msteams",
            ServiceUrl = harness.Connector.ServiceUrl,
            Conversation = new ConversationAccount { Id = thread, ConversationType = "channel", IsGroup = true, TenantId = TestActivities.TenantId },
            Bot = new ChannelAccount { Id = "28:" + harness.Identity.AppId, Name = "Paper Alerts" },
        };
        await harness.Store.RecordContactAsync(key, TeamsAddress.From(reference), Cancel);
        await harness.Store.UpdateAsync(key, null, current => current with { Subscribed = true }, Cancel);
        await harness.Store.AddRuleAsync(key, "agent*", Cancel);

        var report = await harness.Notifier.RunAsync(Cancel);

        report.For(key)!.PapersSent.ShouldBe(DeliveryHarness.Expected(papers, "agent*").Count);
        var posts = harness.Connector.All.ToList();
        posts.ShouldNotBeEmpty();
        posts.ShouldAllBe(post => post.CreatesConversation && (string)post.Json["channelData"]!["channel"]!["id"]! == channel);
        (await harness.Outbox.ListAsync(key, Cancel)).ShouldAllBe(row => row.State == DeliveryState.Sent && row.ActivityId != null);
    }

    [Fact]
    public async Task RunAsync_MorePapersThanOneCardHolds_SplitsIntoCardsUnderTheBudgetThatShowEveryPaper()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel, new Dictionary<string, string?> { ["Delivery:MaxPapersPerMessage"] = "50" });
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var conversation = NewConversation();
        const string Broad = "model* OR learn* OR agent* OR data* OR language OR vision OR image* OR reason* OR train*";
        await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, Broad);
        var expected = DeliveryHarness.Expected(papers, Broad);
        expected.Count.ShouldBeGreaterThan(20);

        await harness.Notifier.RunAsync(Cancel);

        var messages = harness.SentTo(conversation);
        messages.Count.ShouldBeGreaterThan(1, "over 20 papers with abstracts do not fit one 28 KB card");
        foreach (var message in messages)
        {
            Digest.Platforms.Teams.Cards.AdaptiveCardRenderer.MeasureBytes(message.Card!).ShouldBeLessThanOrEqualTo(Digest.Platforms.Teams.Cards.AdaptiveCardRenderer.MaxCardBytes);
            message.Card!.ToJsonString().ShouldNotContain("more\"");
        }

        var sent = harness.PapersSentTo(conversation, papers);
        sent.ShouldBeUnique();
        sent.ToHashSet().SetEquals(expected).ShouldBeTrue();
    }

    [Fact]
    public async Task RunAsync_DailyBerlinHalfPastEight_SendsOnlyAfterTheLocalTimeAndOnceThatDay()
    {
        // 2026-06-12 is summer time: 08:30 in Berlin is 06:30 UTC.
        var early = new DateTimeOffset(2026, 6, 12, 6, 29, 0, TimeSpan.Zero);
        await using var harness = await DeliveryHarness.StartAsync(azurite, early, Cancel);
        var papers = await harness.SeedPapersAsync(early.AddHours(-2), Cancel);
        var conversation = NewConversation();
        var key = await harness.SubscribeAsync(conversation, new DeliveryMode(DeliveryCadence.Daily, new TimeOnly(8, 30), "Europe/Berlin"), Cancel, "agent*");

        (await harness.Notifier.RunAsync(Cancel)).For(key).ShouldBeNull();
        harness.SentTo(conversation).ShouldBeEmpty();

        harness.Time.Advance(TimeSpan.FromMinutes(2));
        var due = await harness.Notifier.RunAsync(Cancel);
        due.For(key)!.Outcome.ShouldBe(DeliveryOutcome.Sent);
        harness.PapersSentTo(conversation, papers).ToHashSet().SetEquals(DeliveryHarness.Expected(papers, "agent*")).ShouldBeTrue();
        var messages = harness.SentTo(conversation).Count;

        // Later that day nothing is due, even with new papers; they wait for tomorrow's 08:30.
        harness.Time.Advance(TimeSpan.FromHours(3));
        (await harness.Notifier.RunAsync(Cancel)).For(key).ShouldBeNull();
        harness.SentTo(conversation).Count.ShouldBe(messages);

        harness.Time.Advance(TimeSpan.FromHours(21));
        (await harness.Notifier.RunAsync(Cancel)).For(key)!.Outcome.ShouldBe(DeliveryOutcome.NothingToSend);
        harness.SentTo(conversation).Count.ShouldBe(messages);
    }

    [Fact]
    public async Task DeliverNowAsync_ThenScheduledRun_ShareReceiptsAndNeverSendAPaperTwice()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var conversation = NewConversation();
        var key = await harness.SubscribeAsync(conversation, new DeliveryMode(DeliveryCadence.Daily, new TimeOnly(7, 0), "UTC"), Cancel, "agent*");

        // The bot's `digest` command, at 10:00, before today's scheduled run has happened.
        var now = await harness.Notifier.DeliverNowAsync((await harness.Store.GetAsync(key, Cancel))!, Cancel);
        now.Outcome.ShouldBe(DeliveryOutcome.Sent);
        var scheduled = await harness.Notifier.RunAsync(Cancel);

        scheduled.For(key).ShouldBeNull("the digest moved the watermark past today's 07:00");
        harness.Time.Advance(TimeSpan.FromDays(1));
        (await harness.Notifier.RunAsync(Cancel)).For(key)!.Outcome.ShouldBe(DeliveryOutcome.NothingToSend);
        var sent = harness.PapersSentTo(conversation, papers);
        sent.ShouldBeUnique();
        sent.ToHashSet().SetEquals(DeliveryHarness.Expected(papers, "agent*")).ShouldBeTrue();
    }

    [Fact]
    public async Task RunAsync_PausedUnsubscribedOrWithoutRules_GetNothing()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var paused = NewConversation();
        var unsubscribed = NewConversation();
        var ruleless = NewConversation();
        var pausedKey = await harness.SubscribeAsync(paused, DeliveryMode.Instant, Cancel, "agent*");
        await harness.Store.UpdateAsync(pausedKey, null, current => current with { Paused = true }, Cancel);
        var unsubscribedKey = await harness.SubscribeAsync(unsubscribed, DeliveryMode.Instant, Cancel, "agent*");
        await harness.Store.UpdateAsync(unsubscribedKey, null, current => current with { Subscribed = false }, Cancel);
        await harness.SubscribeAsync(ruleless, DeliveryMode.Instant, Cancel);

        var report = await harness.Notifier.RunAsync(Cancel);

        report.Subscriptions.ShouldBeEmpty();
        harness.Connector.All.ShouldBeEmpty();
        (await harness.Outbox.ListAsync(pausedKey, Cancel)).ShouldBeEmpty();

        // Resumed, it gets what matched meanwhile.
        await harness.Store.UpdateAsync(pausedKey, null, current => current with { Paused = false }, Cancel);
        (await harness.Notifier.RunAsync(Cancel)).For(pausedKey)!.Outcome.ShouldBe(DeliveryOutcome.Sent);
        harness.SentTo(unsubscribed).ShouldBeEmpty();
    }

    [Fact]
    public async Task RunAsync_PaperSeenAgainAndChanged_IsNeverDeliveredTwice()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var conversation = NewConversation();
        var key = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, "agent*");
        await harness.Notifier.RunAsync(Cancel);
        var before = harness.SentTo(conversation).Count;
        before.ShouldBeGreaterThan(0);

        // The same papers come again as New from another page, after the watermark; one changes its title; and a new
        // rule matches them too.
        harness.Time.Advance(TimeSpan.FromHours(2));
        var changed = papers.First(paper => DeliveryHarness.Expected(papers, "agent*").Contains(paper.Id));
        await harness.ReannounceAsync(papers, changed, harness.Time.GetUtcNow().AddMinutes(-5), Cancel);
        await harness.Store.AddRuleAsync(key, "model*", Cancel);
        var report = await harness.Notifier.RunAsync(Cancel);

        var onlyNew = DeliveryHarness.Expected(papers, "model*");
        onlyNew.ExceptWith(DeliveryHarness.Expected(papers, "agent*"));
        report.For(key)!.PapersSent.ShouldBe(onlyNew.Count);
        var sent = harness.PapersSentTo(conversation, papers);
        sent.ShouldBeUnique();
        sent.ToHashSet().SetEquals(DeliveryHarness.Expected(papers, "agent*", "model*")).ShouldBeTrue();
    }

    [Fact]
    public async Task RunAsync_SendFailedAfterPlanning_NextRunSendsThePendingPapersAndNothingTwice()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var conversation = NewConversation();
        var key = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, AgentRules);
        var expected = DeliveryHarness.Expected(papers, AgentRules);

        // 500 is not retried (Teams' table): the run stops for this subscription with its rows planned.
        harness.Connector.PlanFailure(500, "ServiceError");
        var failed = await harness.Notifier.RunAsync(Cancel);

        failed.For(key)!.Outcome.ShouldBe(DeliveryOutcome.Failed);
        var pending = await harness.Outbox.ListAsync(key, Cancel);
        pending.Select(row => row.PaperId).ToHashSet().SetEquals(expected).ShouldBeTrue();
        pending.ShouldAllBe(row => row.State == DeliveryState.Pending);
        // The plan is in the rows, so the window moves on: the papers go out from the rows, not from matching again.
        (await harness.WatermarkAsync(key, Cancel)).ShouldBe(Morning);
        var failedRequests = harness.Connector.All.Count;

        harness.Time.Advance(TimeSpan.FromMinutes(15));
        var recovered = await harness.Notifier.RunAsync(Cancel);

        recovered.For(key)!.PapersSent.ShouldBe(expected.Count);
        var resent = harness.SentTo(conversation).Skip(failedRequests).ToList();
        var ids = resent.SelectMany(request => papers.Where(paper => request.Card!.ToJsonString().Contains("/papers/" + paper.Id, StringComparison.Ordinal))).Select(paper => paper.Id).ToList();
        ids.ShouldBeUnique();
        ids.ToHashSet().SetEquals(expected).ShouldBeTrue();
        (await harness.Outbox.ListAsync(key, Cancel)).ShouldAllBe(row => row.State == DeliveryState.Sent);

        harness.Time.Advance(TimeSpan.FromMinutes(15));
        (await harness.Notifier.RunAsync(Cancel)).For(key)!.Outcome.ShouldBe(DeliveryOutcome.NothingToSend);
        harness.Connector.All.Count.ShouldBe(failedRequests + resent.Count);
    }

    [Fact]
    public async Task RunAsync_CrashLeftPendingRows_NextRunSendsThemWithTheNewPapersOnce()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var conversation = NewConversation();
        var key = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, "agent*");
        var expected = DeliveryHarness.Expected(papers, "agent*");

        // What a run that crashed right after planning leaves: the subscription marked (a planner marks before it
        // inserts), Pending rows (one for a paper no rule matches any more), and one row already Sent before the crash.
        var unmatched = papers.First(paper => !expected.Contains(paper.Id));
        var sentBefore = papers.First(paper => expected.Contains(paper.Id));
        await harness.Services.GetRequiredService<PendingDeliveries>().MarkAsync([key], Morning.AddMinutes(-10), Cancel);
        await harness.Outbox.TryPlanAsync(key, unmatched.Id, ["earlier"], Morning.AddMinutes(-10), Cancel);
        var done = await harness.Outbox.TryPlanAsync(key, sentBefore.Id, ["agents"], Morning.AddMinutes(-10), Cancel);
        await harness.Outbox.MarkSentAsync([done!], "activity-before", Morning.AddMinutes(-10), Cancel);

        var report = await harness.Notifier.RunAsync(Cancel);

        var sent = harness.PapersSentTo(conversation, papers);
        sent.ShouldBeUnique();
        sent.ToHashSet().SetEquals(expected.Except([sentBefore.Id]).Append(unmatched.Id)).ShouldBeTrue();
        report.For(key)!.PapersSent.ShouldBe(expected.Count);
        (await harness.Outbox.TryPlanAsync(key, unmatched.Id, [], Morning, Cancel)).ShouldBeNull();
    }

    [Fact]
    public async Task RunAsync_SubscriptionLeasedByAnotherSender_IsLeftToItThenRecoveredAfterTheLease()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var conversation = NewConversation();
        var key = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, "agent*");
        var expected = DeliveryHarness.Expected(papers, "agent*");

        // Another sender (a digest asked for in chat) marked the subscription, planned this paper and took the lease a
        // minute ago, and may be sending it right now.
        var inFlight = papers.First(paper => expected.Contains(paper.Id));
        var pending = harness.Services.GetRequiredService<PendingDeliveries>();
        await pending.MarkAsync([key], Morning.AddMinutes(-1), Cancel);
        await harness.Outbox.TryPlanAsync(key, inFlight.Id, ["agents"], Morning.AddMinutes(-1), Cancel);
        (await pending.TryLeaseAsync(key, null, Morning.AddMinutes(-1), harness.Options.PendingLease, Cancel)).Lease.ShouldNotBeNull();

        (await harness.Notifier.RunAsync(Cancel)).For(key)!.Outcome.ShouldBe(DeliveryOutcome.NothingToSend);
        harness.PapersSentTo(conversation, papers).ShouldBeEmpty();

        // That sender never finished: once the lease has passed, the next run sends everything, once.
        harness.Time.Advance(harness.Options.PendingLease + TimeSpan.FromMinutes(1));
        (await harness.Notifier.RunAsync(Cancel)).For(key)!.PapersSent.ShouldBe(expected.Count);
        var sent = harness.PapersSentTo(conversation, papers);
        sent.ShouldBeUnique();
        sent.ToHashSet().SetEquals(expected).ShouldBeTrue();
        (await pending.ListAsync(Cancel)).ShouldNotContain(request => request.Key == key);
    }

    [Fact]
    public async Task RunAsync_LeaseGivenBackAfterItsSenderFinished_NextRunSendsWhatWasPlannedMeanwhile()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var conversation = NewConversation();
        var key = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, "agent*");
        var expected = DeliveryHarness.Expected(papers, "agent*");
        var pending = harness.Services.GetRequiredService<PendingDeliveries>();
        await pending.MarkAsync([key], Morning.AddMinutes(-1), Cancel);
        var lease = (await pending.TryLeaseAsync(key, null, Morning.AddMinutes(-1), harness.Options.PendingLease, Cancel)).Lease!;

        // While that sender sends (nothing, here), this run plans the papers and marks the subscription again.
        (await harness.Notifier.RunAsync(Cancel)).For(key)!.Outcome.ShouldBe(DeliveryOutcome.NothingToSend);
        // The sender finishes: the marker changed since its lease, so it stays, with the lease given back.
        await pending.ClearAsync(lease, Cancel);
        (await pending.ListAsync(Cancel)).ShouldContain(request => request.Key == key);

        harness.Time.Advance(TimeSpan.FromMinutes(1)); // well within the lease it gave back
        (await harness.Notifier.RunAsync(Cancel)).For(key)!.PapersSent.ShouldBe(expected.Count);
        harness.PapersSentTo(conversation, papers).ToHashSet().SetEquals(expected).ShouldBeTrue();
    }

    [Fact]
    public async Task RunAsync_MarkerLeftInTheOldPartition_IsMovedAndItsPendingRowsSent()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var conversation = NewConversation();
        var key = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, "nothingmatchesthisword");
        // Written by a version that kept markers in the deliveries table: a Pending row and its marker there.
        var storage = harness.Services.GetRequiredService<DigestStorage>();
        await storage.Deliveries.AddEntityAsync(new TableEntity("~pending", key.PartitionKey)
        {
            ["ChannelId"] = key.ChannelId, ["TenantId"] = key.TenantId, ["ConversationId"] = key.ConversationId, ["PlannedAt"] = Morning.AddDays(-1),
        }, Cancel);
        await harness.Outbox.TryPlanAsync(key, papers[0].Id, ["old"], Morning.AddDays(-1), Cancel);

        (await harness.Notifier.RunAsync(Cancel)).For(key)!.PapersSent.ShouldBe(1);

        harness.PapersSentTo(conversation, papers).ShouldBe([papers[0].Id]);
        (await storage.Deliveries.GetEntityIfExistsAsync<TableEntity>("~pending", key.PartitionKey, cancellationToken: Cancel)).HasValue.ShouldBeFalse();
        (await harness.Services.GetRequiredService<PendingDeliveries>().ListAsync(Cancel)).ShouldNotContain(request => request.Key == key);
    }

    [Theory]
    [InlineData(403, "BotNotInConversationRoster")]
    [InlineData(404, "ConversationNotFound")]
    public async Task RunAsync_ConnectorSaysConversationGone_DeactivatesOnlyThatSubscriptionAndKeepsItsData(int status, string errorCode)
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        string[] conversations = [NewConversation(), NewConversation()];
        ConversationKey[] keys = [
            await harness.SubscribeAsync(conversations[0], DeliveryMode.Instant, Cancel, "agent*"),
            await harness.SubscribeAsync(conversations[1], DeliveryMode.Instant, Cancel, "agent*")];
        harness.Connector.PlanFailure(status, errorCode);

        var report = await harness.Notifier.RunAsync(Cancel);

        // The first request the connector saw is the one that failed.
        var goneIndex = harness.Connector.All.First().RawTarget.Contains(Uri.EscapeDataString(conversations[0]), StringComparison.Ordinal) ? 0 : 1;
        var (gone, fine) = (keys[goneIndex], keys[1 - goneIndex]);
        report.For(gone)!.Outcome.ShouldBe(DeliveryOutcome.Deactivated);
        report.For(fine)!.Outcome.ShouldBe(DeliveryOutcome.Sent);
        harness.PapersSentTo(conversations[1 - goneIndex], papers).ToHashSet().SetEquals(DeliveryHarness.Expected(papers, "agent*")).ShouldBeTrue();
        var deactivated = (await harness.Store.GetAsync(gone, Cancel))!;
        deactivated.Installed.ShouldBeFalse();
        deactivated.Subscribed.ShouldBeTrue();
        (await harness.Store.ListRulesAsync(gone, Cancel)).Select(rule => rule.Text).ShouldBe(["agent*"]);
        (await harness.Outbox.ListAsync(gone, Cancel)).ShouldAllBe(row => row.State == DeliveryState.Pending);

        var requests = harness.Connector.All.Count;
        harness.Time.Advance(TimeSpan.FromMinutes(15));
        var next = await harness.Notifier.RunAsync(Cancel);
        next.For(gone).ShouldBeNull();
        harness.Connector.All.Count.ShouldBe(requests);
    }

    [Fact]
    public async Task RunAsync_ConnectorRefusesTheBotsCredentials_StopsSendingForThisRunAndNextRunDeliversAll()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        string[] conversations = [NewConversation(), NewConversation(), NewConversation()];
        foreach (var conversation in conversations)
        {
            await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, "agent*");
        }

        harness.Connector.PlanFailure(401, "BotNotRegistered");
        var report = await harness.Notifier.RunAsync(Cancel);

        harness.Connector.All.Count.ShouldBe(1);
        report.Subscriptions.ShouldAllBe(subscription => subscription.Outcome == DeliveryOutcome.Failed && subscription.Failure == DeliveryFailureKind.Unauthorized);
        (await harness.Store.ListActiveAsync(Cancel).ToListAsync(Cancel)).Count.ShouldBe(3);

        harness.Time.Advance(TimeSpan.FromMinutes(15));
        await harness.Notifier.RunAsync(Cancel);
        var expected = DeliveryHarness.Expected(papers, "agent*");
        foreach (var conversation in conversations)
        {
            var sent = harness.Connector.All.Skip(1).Where(request => request.RawTarget.Contains(Uri.EscapeDataString(conversation), StringComparison.Ordinal))
                .SelectMany(request => papers.Where(paper => request.Card!.ToJsonString().Contains("/papers/" + paper.Id, StringComparison.Ordinal))).Select(paper => paper.Id).ToList();
            sent.ShouldBeUnique();
            sent.ToHashSet().SetEquals(expected).ShouldBeTrue();
        }
    }

    [Fact]
    public async Task RunAsync_ManySubscriptions_OneIndexGivesEachExactlyWhatItsOwnRulesMatch()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        string[][] ruleSets =
        [
            ["agent*"],
            ["title:diffusion", "\"speculative decoding\""],
            ["multimodal AND NOT agent*"],
            ["robot* OR drone*", "upvotes>=1000000"],
            ["quantum chromodynamics"],
            ["distillation", "(unclosed"], // a stored rule that no longer parses is skipped, the other still counts
        ];
        var subscribers = new List<(string Conversation, ConversationKey Key, string[] Rules)>();
        foreach (var rules in ruleSets)
        {
            var conversation = NewConversation();
            subscribers.Add((conversation, await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, rules), rules));
        }

        var report = await harness.Notifier.RunAsync(Cancel);

        report.RulesIndexed.ShouldBe(ruleSets.Sum(rules => rules.Length) - 1);
        report.PapersConsidered.ShouldBe(papers.Count);
        report.Subscriptions.Count.ShouldBe(ruleSets.Length);
        foreach (var (conversation, key, rules) in subscribers)
        {
            var expected = DeliveryHarness.Expected(papers, [.. rules.Where(rule => Digest.Rules.RuleParser.Parse(rule).IsSuccess)]);
            var sent = harness.PapersSentTo(conversation, papers);
            sent.ShouldBeUnique();
            sent.ToHashSet().SetEquals(expected).ShouldBeTrue($"subscription with {string.Join(" | ", rules)}");
            report.For(key)!.Outcome.ShouldBe(expected.Count == 0 ? DeliveryOutcome.NothingToSend : DeliveryOutcome.Sent);
        }

        report.Subscriptions.Count(subscription => subscription.Outcome == DeliveryOutcome.Sent).ShouldBeGreaterThanOrEqualTo(4);
    }
}
