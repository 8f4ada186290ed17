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
    public void TodaysDeliveryTime_BerlinHalfPastEight_IsThatLocalTimeOnTheLocalDay(string now, string expected) =>
        DeliverySchedule.TodaysDeliveryTime(BerlinHalfPastEight, DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture))
            .ShouldBe(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void TodaysDeliveryTime_TimeInTheSpringGap_MovesToTheFirstMinuteAfterTheJump()
    {
        var mode = new DeliveryMode(DeliveryCadence.Daily, new TimeOnly(2, 30), "Europe/Berlin");

        // 02:00-03:00 does not exist in Berlin on 2026-03-29: 03:00 CEST is 01:00 UTC.
        DeliverySchedule.TodaysDeliveryTime(mode, new DateTimeOffset(2026, 3, 29, 5, 0, 0, TimeSpan.Zero))
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
        DeliverySchedule.IsDue(BerlinHalfPastEight, watermark is null ? null : DateTimeOffset.Parse(watermark, culture), DateTimeOffset.Parse(now, culture))
            .ShouldBe(expected);
    }

    [Fact]
    public void IsDue_Instant_EveryRun()
    {
        var now = new DateTimeOffset(2026, 6, 12, 10, 0, 0, TimeSpan.Zero);
        DeliverySchedule.IsDue(DeliveryMode.Instant, now, now).ShouldBeTrue();
    }

    [Fact]
    public void IsDue_UnknownTimeZone_Never() =>
        DeliverySchedule.IsDue(new DeliveryMode(DeliveryCadence.Daily, new TimeOnly(0, 0), "Mars/Olympus_Mons"), null, new DateTimeOffset(2026, 6, 12, 23, 0, 0, TimeSpan.Zero))
            .ShouldBeFalse();
}
