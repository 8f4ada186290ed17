using System.Globalization;
using Digest.Delivery;
using Digest.Subscriptions;
using Digest.Tests.Infrastructure;
using Shouldly;

namespace Digest.Tests.Delivery;

/// <summary>Weekly digests and quiet days end to end: Azurite, the loopback Bot Connector, a fake clock.</summary>
public sealed class WeeklyAndQuietDeliveryTests(AzuriteFixture azurite)
{
    private static readonly string[] Rules = ["agent*", "diffusion"];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string NewConversation() => "a:" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task RunAsync_WeeklyMondayBerlinAcrossTheAutumnChange_SendsOnceEachMondayAtTheLocalTime()
    {
        // Monday 2026-10-19 is CEST (08:30 = 06:30 UTC); clocks go back on Sunday 25th, so Monday 26th's 08:30 is CET
        // (07:30 UTC). Runs every six hours, and every half hour on Monday mornings.
        var start = new DateTimeOffset(2026, 10, 19, 5, 0, 0, TimeSpan.Zero);
        await using var harness = await DeliveryHarness.StartAsync(azurite, start, Cancel);
        var papers = await DeliveryHarness.FixturePapersAsync(start, Cancel);
        var firstWeek = papers.Take(papers.Count / 2).ToList();
        var secondWeek = papers.Skip(papers.Count / 2).ToList();
        var (expectedFirst, expectedSecond) = (DeliveryHarness.Expected(firstWeek, Rules), DeliveryHarness.Expected(secondWeek, Rules));
        expectedFirst.ShouldNotBeEmpty();
        expectedSecond.ShouldNotBeEmpty();
        await harness.ObserveAsync(firstWeek, start.AddMinutes(-10), Cancel);
        var conversation = NewConversation();
        await harness.SubscribeAsync(conversation, new DeliveryMode(DeliveryCadence.Weekly, new TimeOnly(8, 30), "Europe/Berlin", DayOfWeek.Monday), Cancel, Rules);

        var sendTimes = new List<DateTimeOffset>();
        var secondWeekObserved = false;
        for (var now = start; now <= new DateTimeOffset(2026, 10, 27, 12, 0, 0, TimeSpan.Zero); now = Next(now))
        {
            harness.Time.SetUtcNow(now);
            if (!secondWeekObserved && now >= new DateTimeOffset(2026, 10, 21, 12, 0, 0, TimeSpan.Zero))
            {
                await harness.ObserveAsync(secondWeek, now, Cancel);
                secondWeekObserved = true;
            }

            var before = harness.SentTo(conversation).Count;
            await harness.Notifier.RunAsync(Cancel);
            if (harness.SentTo(conversation).Count > before)
            {
                sendTimes.Add(now);
            }
        }

        sendTimes.ShouldBe([new DateTimeOffset(2026, 10, 19, 6, 30, 0, TimeSpan.Zero), new DateTimeOffset(2026, 10, 26, 7, 30, 0, TimeSpan.Zero)]);
        var sent = harness.PapersSentTo(conversation, papers);
        sent.ShouldBeUnique();
        sent.ToHashSet().SetEquals(expectedFirst.Union(expectedSecond)).ShouldBeTrue();

        static DateTimeOffset Next(DateTimeOffset now) =>
            now.DayOfWeek == DayOfWeek.Monday && now.Hour is >= 5 and < 9 ? now.AddMinutes(30) : now.AddHours(now.DayOfWeek == DayOfWeek.Sunday && now.Hour >= 18 ? 1 : 6);
    }

    // Saturday 10:00 UTC, the times after it that are still the weekend in Berlin, and Monday 00:00 in Berlin (UTC).
    // June: Sunday 23:59 CEST is 21:59 UTC, Monday starts at 22:00 UTC. October 2026: clocks go back on Sunday 25th, so
    // Saturday is CEST (UTC+2) and Monday 00:00 is CET (UTC+1), 23:00 UTC; a fixed offset from Saturday would end the
    // weekend an hour early, at 22:00 UTC, where 22:30 UTC is still Sunday 23:30.
    [Theory]
    [InlineData("2026-06-13T10:00:00Z", new[] { "2026-06-14T10:00:00Z", "2026-06-14T21:59:00Z" }, "2026-06-14T22:00:00Z")]
    [InlineData("2026-10-24T10:00:00Z", new[] { "2026-10-25T22:30:00Z" }, "2026-10-25T23:00:00Z")]
    public async Task RunAsync_InstantWithQuietWeekendsInBerlin_HoldsWeekendPapersUntilLocalMondayThenSendsThemOnce(string saturdayText, string[] weekendTexts, string mondayText)
    {
        var saturday = DateTimeOffset.Parse(saturdayText, CultureInfo.InvariantCulture);
        await using var harness = await DeliveryHarness.StartAsync(azurite, saturday, Cancel);
        var papers = await harness.SeedPapersAsync(saturday.AddMinutes(-10), Cancel);
        var conversation = NewConversation();
        var key = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, Rules);
        await harness.Store.UpdateAsync(key, null, current => current with { QuietDays = new QuietDays(QuietDays.Weekends, "Europe/Berlin") }, Cancel);
        var expected = DeliveryHarness.Expected(papers, Rules);

        foreach (var at in weekendTexts.Select(text => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture)).Prepend(saturday))
        {
            harness.Time.SetUtcNow(at);
            (await harness.Notifier.RunAsync(Cancel)).MessagesSent.ShouldBe(0);
        }

        harness.SentTo(conversation).ShouldBeEmpty();
        var held = await harness.Outbox.ListAsync(key, Cancel);
        held.Select(row => row.PaperId).ToHashSet().SetEquals(expected).ShouldBeTrue();
        held.ShouldAllBe(row => row.State == DeliveryState.Pending && row.Attempts == 0);

        harness.Time.SetUtcNow(DateTimeOffset.Parse(mondayText, CultureInfo.InvariantCulture));
        (await harness.Notifier.RunAsync(Cancel)).For(key)!.Outcome.ShouldBe(DeliveryOutcome.Sent);
        harness.Time.Advance(TimeSpan.FromHours(1));
        await harness.Notifier.RunAsync(Cancel);

        var sent = harness.PapersSentTo(conversation, papers);
        sent.ShouldBeUnique();
        sent.ToHashSet().SetEquals(expected).ShouldBeTrue();
    }
}
