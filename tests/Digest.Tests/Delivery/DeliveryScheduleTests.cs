using Digest.Delivery;
using Digest.Subscriptions;
using Shouldly;

namespace Digest.Tests.Delivery;

public sealed class DeliveryScheduleTests
{
    private static readonly DeliveryMode BerlinHalfPastEight = new(DeliveryCadence.Daily, new TimeOnly(8, 30), "Europe/Berlin");

    [Theory]
    [InlineData("2026-06-12T06:30:00Z", "2026-06-12T06:30:00Z")] // summer: UTC+2
    [InlineData("2026-01-15T12:00:00Z", "2026-01-15T07:30:00Z")] // winter: UTC+1
    [InlineData("2026-03-28T07:30:00Z", "2026-03-28T07:30:00Z")] // the day before the spring change
    [InlineData("2026-03-29T09:00:00Z", "2026-03-29T06:30:00Z")] // the spring change: 08:30 is already CEST
    [InlineData("2026-10-25T09:00:00Z", "2026-10-25T07:30:00Z")] // the autumn change: 08:30 is CET again
    [InlineData("2026-06-11T23:30:00Z", "2026-06-12T06:30:00Z")] // 01:30 in Berlin: already the next local day
    public void CurrentDeliveryTime_DailyBerlinHalfPastEight_IsThatLocalTimeOnTheLocalDay(string now, string expected) =>
        DeliverySchedule.CurrentDeliveryTime(BerlinHalfPastEight, DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture))
            .ShouldBe(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void CurrentDeliveryTime_TimeInTheSpringGap_MovesToTheFirstMinuteAfterTheJump()
    {
        var mode = new DeliveryMode(DeliveryCadence.Daily, new TimeOnly(2, 30), "Europe/Berlin");

        // 02:00-03:00 does not exist in Berlin on 2026-03-29: 03:00 CEST is 01:00 UTC.
        DeliverySchedule.CurrentDeliveryTime(mode, new DateTimeOffset(2026, 3, 29, 5, 0, 0, TimeSpan.Zero))
            .ShouldBe(new DateTimeOffset(2026, 3, 29, 1, 0, 0, TimeSpan.Zero));
    }

    [Theory]
    [InlineData("2026-03-29T06:29:00Z", null, false)] // a minute before 08:30 CEST on the DST day
    [InlineData("2026-03-29T06:30:00Z", null, true)]
    [InlineData("2026-03-29T06:45:00Z", "2026-03-29T06:30:00Z", false)] // delivered today already
    [InlineData("2026-03-29T06:45:00Z", "2026-03-28T07:30:00Z", true)] // last delivered yesterday
    [InlineData("2026-03-28T07:29:00Z", "2026-03-27T07:31:00Z", false)] // 08:29 CET the day before
    public void IsDue_Daily_OnlyAfterTheLocalTimeAndOncePerDay(string now, string? watermark, bool expected)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        DeliverySchedule.IsDue(BerlinHalfPastEight, null, watermark is null ? null : DateTimeOffset.Parse(watermark, culture), DateTimeOffset.Parse(now, culture))
            .ShouldBe(expected);
    }

    [Fact]
    public void IsDue_Instant_EveryRun()
    {
        var now = new DateTimeOffset(2026, 6, 12, 10, 0, 0, TimeSpan.Zero);
        DeliverySchedule.IsDue(DeliveryMode.Instant, null, now, now).ShouldBeTrue();
    }

    [Fact]
    public void IsDue_UnknownTimeZone_Never() =>
        DeliverySchedule.IsDue(new DeliveryMode(DeliveryCadence.Daily, new TimeOnly(0, 0), "Mars/Olympus_Mons"), null, null, new DateTimeOffset(2026, 6, 12, 23, 0, 0, TimeSpan.Zero))
            .ShouldBeFalse();

    private static readonly DeliveryMode WeeklyMondayBerlin = new(DeliveryCadence.Weekly, new TimeOnly(8, 30), "Europe/Berlin", DayOfWeek.Monday);

    [Theory]
    [InlineData("2026-10-19T06:30:00Z", "2026-10-19T06:30:00Z")] // Monday, CEST (UTC+2)
    [InlineData("2026-10-25T12:00:00Z", "2026-10-19T06:30:00Z")] // the Sunday of the autumn change: still that week's Monday
    [InlineData("2026-10-26T05:00:00Z", "2026-10-26T07:30:00Z")] // Monday after the change, before 08:30 CET: today's, later
    [InlineData("2026-10-28T09:00:00Z", "2026-10-26T07:30:00Z")] // Wednesday: that week's Monday, in CET
    [InlineData("2026-03-29T23:30:00Z", "2026-03-30T06:30:00Z")] // 01:30 Monday in Berlin after the spring change
    public void CurrentDeliveryTime_WeeklyMondayBerlin_IsTheLatestMondayAtThatLocalTime(string now, string expected)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        DeliverySchedule.CurrentDeliveryTime(WeeklyMondayBerlin, DateTimeOffset.Parse(now, culture)).ShouldBe(DateTimeOffset.Parse(expected, culture));
    }

    [Theory]
    [InlineData("2026-10-26T07:29:00Z", "2026-10-19T06:31:00Z", false)] // 08:29 CET on the Monday after the change
    [InlineData("2026-10-26T07:30:00Z", "2026-10-19T06:31:00Z", true)]
    [InlineData("2026-10-30T07:30:00Z", "2026-10-26T07:30:00Z", false)] // delivered this week already
    [InlineData("2026-10-30T07:30:00Z", "2026-10-19T06:31:00Z", true)] // missed Monday's: due at the next run that week
    public void IsDue_Weekly_OnlyAfterTheLocalTimeAndOncePerWeek(string now, string watermark, bool expected)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        DeliverySchedule.IsDue(WeeklyMondayBerlin, null, DateTimeOffset.Parse(watermark, culture), DateTimeOffset.Parse(now, culture)).ShouldBe(expected);
    }

    [Theory]
    [InlineData("2026-06-12T21:59:00Z", false)] // Friday 23:59 in Berlin
    [InlineData("2026-06-12T22:00:00Z", true)] // Saturday 00:00 in Berlin, still Friday in UTC
    [InlineData("2026-06-14T21:59:00Z", true)] // Sunday 23:59 in Berlin
    [InlineData("2026-06-14T22:00:00Z", false)] // Monday in Berlin
    public void IsQuiet_WeekendsInBerlin_FollowsTheLocalDay(string at, bool expected) =>
        DeliverySchedule.IsQuiet(new QuietDays(QuietDays.Weekends, "Europe/Berlin"), DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture))
            .ShouldBe(expected);

    [Fact]
    public void IsDue_DailyOnAQuietDay_NotDueUntilTheNextDayThatIsNot()
    {
        var weekends = new QuietDays(QuietDays.Weekends, "Europe/Berlin");
        var friday = new DateTimeOffset(2026, 6, 12, 6, 30, 0, TimeSpan.Zero);

        DeliverySchedule.IsDue(BerlinHalfPastEight, weekends, friday.AddDays(-1), friday).ShouldBeTrue();
        DeliverySchedule.IsDue(BerlinHalfPastEight, weekends, friday, friday.AddDays(1)).ShouldBeFalse();
        DeliverySchedule.IsDue(BerlinHalfPastEight, weekends, friday, friday.AddDays(2).AddHours(10)).ShouldBeFalse();
        DeliverySchedule.IsDue(BerlinHalfPastEight, weekends, friday, friday.AddDays(3)).ShouldBeTrue();
    }

    [Fact]
    public void IsQuiet_UnknownZoneOrNoDays_Never()
    {
        var saturday = new DateTimeOffset(2026, 6, 13, 12, 0, 0, TimeSpan.Zero);
        DeliverySchedule.IsQuiet(new QuietDays(QuietDays.Weekends, "Mars/Olympus_Mons"), saturday).ShouldBeFalse();
        DeliverySchedule.IsQuiet(new QuietDays([], "UTC"), saturday).ShouldBeFalse();
        DeliverySchedule.IsQuiet(null, saturday).ShouldBeFalse();
    }
}
