using Digest.Subscriptions;
using Digest.Tests.Infrastructure;
using Shouldly;

namespace Digest.Tests.Delivery;

/// <summary>Rules with upvote thresholds fire when a paper crosses them after it was first seen.</summary>
public sealed class ThresholdCrossingTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Morning = new(2026, 6, 12, 10, 0, 0, TimeSpan.Zero);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_PaperReachesTheThresholdLater_DeliveredOnceInTheRunAfterTheChangeAndNeverAgain()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var fixture = await DeliveryHarness.FixturePapersAsync(Morning, Cancel);
        var target = fixture.First(paper => paper.Upvotes < 50);
        var keyword = target.Title.Split(' ').First(word => word.Length > 6 && word.All(char.IsAsciiLetter));
        var seen = fixture.Select(paper => paper.Id == target.Id ? paper with { Upvotes = 10 } : paper).ToList();
        await harness.ObserveAsync(seen, Morning.AddHours(-2), Cancel);
        var thresholdConversation = "a:" + Guid.NewGuid().ToString("N");
        var keywordConversation = "a:" + Guid.NewGuid().ToString("N");
        await harness.SubscribeAsync(thresholdConversation, DeliveryMode.Instant, Cancel, "upvotes>=50");
        await harness.SubscribeAsync(keywordConversation, DeliveryMode.Instant, Cancel, keyword);

        await harness.Notifier.RunAsync(Cancel);
        var firstRun = harness.PapersSentTo(thresholdConversation, fixture);
        firstRun.ToHashSet().SetEquals(DeliveryHarness.Expected(seen, "upvotes>=50")).ShouldBeTrue();
        firstRun.ShouldNotContain(target.Id);
        harness.PapersSentTo(keywordConversation, fixture).ShouldContain(target.Id);
        var keywordMessages = harness.SentTo(keywordConversation).Count;

        harness.Time.Advance(TimeSpan.FromHours(2));
        await harness.ObserveAsync([.. seen.Select(paper => paper.Id == target.Id ? paper with { Upvotes = 60 } : paper)], harness.Time.GetUtcNow(), Cancel);
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        var crossing = await harness.Notifier.RunAsync(Cancel);

        harness.PapersSentTo(thresholdConversation, fixture).Except(firstRun).ShouldBe([target.Id]);
        crossing.PapersSent.ShouldBe(1);
        harness.SentTo(keywordConversation).Count.ShouldBe(keywordMessages, "an upvote change does not re-send a keyword match");

        harness.Time.Advance(TimeSpan.FromHours(2));
        await harness.ObserveAsync([.. seen.Select(paper => paper.Id == target.Id ? paper with { Upvotes = 75 } : paper)], harness.Time.GetUtcNow(), Cancel);
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        var after = await harness.Notifier.RunAsync(Cancel);

        after.PapersSent.ShouldBe(0);
        harness.PapersSentTo(thresholdConversation, fixture).Count(id => id == target.Id).ShouldBe(1);
        harness.SentTo(keywordConversation).Count.ShouldBe(keywordMessages);
    }

    [Fact]
    public async Task RunAsync_UpvotesChangeAboveTheThresholdAlready_NothingSent()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel);
        var fixture = await DeliveryHarness.FixturePapersAsync(Morning, Cancel);
        var target = fixture[0];
        var seen = fixture.Select(paper => paper.Id == target.Id ? paper with { Upvotes = 60 } : paper with { Upvotes = 1 }).ToList();
        await harness.ObserveAsync(seen, Morning.AddHours(-2), Cancel);
        harness.Time.Advance(TimeSpan.FromHours(2));
        await harness.ObserveAsync([.. seen.Select(paper => paper.Id == target.Id ? paper with { Upvotes = 70 } : paper)], harness.Time.GetUtcNow(), Cancel);
        var conversation = "a:" + Guid.NewGuid().ToString("N");

        // Subscribed after the paper was first seen: only the upvote change (60 to 70) is in its first window, and the
        // rule matched the paper before it as well, so nothing crossed.
        var key = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, "upvotes>=50");
        await harness.Watermarks.SetAsync([key], Morning.AddHours(1).AddMinutes(30), Cancel);
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        var report = await harness.Notifier.RunAsync(Cancel);

        report.For(key)!.Outcome.ShouldBe(Digest.Delivery.DeliveryOutcome.NothingToSend);
        harness.SentTo(conversation).ShouldBeEmpty();
    }
}
