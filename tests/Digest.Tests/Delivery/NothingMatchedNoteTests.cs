using Digest.Delivery;
using Digest.Delivery.Queue;
using Digest.Subscriptions;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace Digest.Tests.Delivery;

/// <summary>The "nothing matched" note (<c>nothing-note on</c>): Azurite, the loopback Bot Connector, a fake clock.</summary>
public sealed class NothingMatchedNoteTests(AzuriteFixture azurite)
{
    private const string NoMatch = "zzzqqqxxyy";

    // Friday 2026-06-12.
    private static readonly DateTimeOffset Friday = new(2026, 6, 12, 6, 0, 0, TimeSpan.Zero);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static async Task<ConversationKey> SubscribeAsync(DeliveryHarness harness, string conversation, DeliveryMode mode, string rule, QuietDays? quiet = null)
    {
        var key = await harness.SubscribeAsync(conversation, mode, Cancel, rule);
        await harness.Store.UpdateAsync(key, null, current => current with { NothingMatchedNote = true, QuietDays = quiet }, Cancel);
        return key;
    }

    private static List<string?> Notes(DeliveryHarness harness, string conversation) =>
        [.. harness.SentTo(conversation).Where(request => request.Card is null).Select(request => request.Text)];

    [Fact]
    public async Task RunAsync_DailyWithNoteAndQuietWeekends_OneNoteADayWithNothingNoneAtWeekendsNoneWithPapers()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Friday, Cancel);
        var papers = await harness.SeedPapersAsync(Friday.AddHours(-1), Cancel);
        var daily = new DeliveryMode(DeliveryCadence.Daily, new TimeOnly(8, 0), "UTC");
        var quiet = new QuietDays(QuietDays.Weekends, "UTC");
        var nothing = "a:" + Guid.NewGuid().ToString("N");
        var matching = "a:" + Guid.NewGuid().ToString("N");
        await SubscribeAsync(harness, nothing, daily, NoMatch, quiet);
        await SubscribeAsync(harness, matching, daily, "diffusion", quiet);

        // Friday to Monday, every three hours, and twice more on Friday morning.
        var runs = Enumerable.Range(0, 28).Select(i => Friday.AddHours(3 * i)).Concat([Friday.AddHours(2).AddMinutes(15), Friday.AddHours(2).AddMinutes(30)]).Order();
        var notesAt = new List<DateTimeOffset>();
        foreach (var at in runs)
        {
            harness.Time.SetUtcNow(at);
            var before = Notes(harness, nothing).Count;
            await harness.Notifier.RunAsync(Cancel);
            if (Notes(harness, nothing).Count > before)
            {
                notesAt.Add(at);
            }
        }

        // Friday 08:15 (the first run after 08:00) and Monday 09:00; Saturday and Sunday are quiet.
        notesAt.ShouldBe([Friday.AddHours(2).AddMinutes(15), Friday.AddDays(3).AddHours(3)]);
        Notes(harness, nothing).ShouldAllBe(text => text == "Nothing matched your rules today.");
        // The subscription with papers got them on Friday and no note, then notes on the days it had nothing.
        harness.PapersSentTo(matching, papers).ShouldBe(DeliveryHarness.Expected(papers, "diffusion"), ignoreOrder: true);
        harness.SentTo(matching).First().Card.ShouldNotBeNull();
        Notes(harness, matching).Count.ShouldBe(1, "Monday's");
    }

    [Fact]
    public async Task RunAsync_InstantWithNoteAndNothingMatched_SendsNothing()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Friday, Cancel);
        await harness.SeedPapersAsync(Friday.AddHours(-1), Cancel);
        var conversation = "a:" + Guid.NewGuid().ToString("N");
        await SubscribeAsync(harness, conversation, DeliveryMode.Instant, NoMatch);

        for (var i = 0; i < 8; i++)
        {
            harness.Time.SetUtcNow(Friday.AddHours(3 * i));
            await harness.Notifier.RunAsync(Cancel);
        }

        harness.SentTo(conversation).ShouldBeEmpty();
    }

    [Fact]
    public async Task SendAsync_WeeklyNoteRequestHandledTwiceAsAQueueMessage_OneNote()
    {
        await using var harness = await DeliveryHarness.StartAsync(azurite, Friday.AddHours(3), Cancel);
        var conversation = "a:" + Guid.NewGuid().ToString("N");
        var key = await SubscribeAsync(harness, conversation, new DeliveryMode(DeliveryCadence.Weekly, new TimeOnly(8, 0), "UTC", DayOfWeek.Friday), NoMatch);
        var body = DeliveryMessage.Serialize(new DeliveryRequest(key, Friday.AddHours(3)) { NothingNote = true });
        body.ShouldContain("\"nothingNote\":true");
        var sender = harness.Services.GetRequiredService<DeliverySender>();

        var first = await sender.SendAsync(DeliveryMessage.Parse(body), Cancel);
        var second = await sender.SendAsync(DeliveryMessage.Parse(body), Cancel);

        (first.NothingNoted, second.NothingNoted).ShouldBe((true, false));
        Notes(harness, conversation).ShouldBe(["Nothing matched your rules this week."]);
        DeliveryMessage.Serialize(new DeliveryRequest(key, Friday)).ShouldNotContain("nothingNote");
    }
}
