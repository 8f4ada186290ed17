using Digest.Subscriptions;

namespace Digest.Delivery;

/// <summary>When a subscription's delivery mode makes it due, and when its quiet days hold its deliveries.</summary>
public static class DeliverySchedule
{
    /// <summary>True when a run at <paramref name="now"/> should plan the subscription: every run for <c>instant</c>
    /// (its sends wait while <see cref="IsQuiet"/>); for <c>daily</c> and <c>weekly</c>, once the local time has passed the
    /// current period's delivery time (<see cref="CurrentDeliveryTime"/>), the last run for the subscription
    /// (<paramref name="watermark"/>) was before it, and the delivery's day is not a quiet day. An unknown time zone is
    /// never due.</summary>
    public static bool IsDue(DeliveryMode mode, QuietDays? quiet, DateTimeOffset? watermark, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(mode);
        if (mode.Cadence == DeliveryCadence.Instant)
        {
            return true;
        }

        // A digest skipped on a quiet day is not made up later that day: its papers go with the next one.
        return CurrentDeliveryTime(mode, now) is { } target && now >= target && (watermark is null || watermark < target) && !IsQuiet(quiet, target);
    }

    /// <summary>True when <paramref name="at"/> falls on one of the quiet days, in their time zone. An unknown zone is
    /// never quiet: a setting the process cannot read must not hold papers back.</summary>
    public static bool IsQuiet(QuietDays? quiet, DateTimeOffset at) =>
        quiet is { Days.Count: > 0 } && TimeZoneInfo.TryFindSystemTimeZoneById(quiet.TimeZoneId, out var zone)
        && quiet.Days.Contains(TimeZoneInfo.ConvertTime(at, zone).DayOfWeek);

    /// <summary>
    /// The delivery time of the current period in the mode's zone: today's for <c>daily</c>; for <c>weekly</c>, the one on
    /// the latest local date (today included) that is the mode's day. It may be later than <paramref name="now"/> (today,
    /// before the time). Null for instant mode or an unknown zone. A time in the spring-forward gap moves forward by the
    /// gap; an ambiguous autumn time takes the later instant.
    /// </summary>
    public static DateTimeOffset? CurrentDeliveryTime(DeliveryMode mode, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(mode);
        if (mode is not { DailyAt: { } at, TimeZoneId: { } zoneId } || mode.Cadence == DeliveryCadence.Instant
            || (mode.Cadence == DeliveryCadence.Weekly && mode.WeeklyOn is null)
            || !TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone))
        {
            return null;
        }

        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var day = mode.Cadence == DeliveryCadence.Weekly ? today.AddDays(-(((int)today.DayOfWeek - (int)mode.WeeklyOn!.Value + 7) % 7)) : today;
        var local = day.ToDateTime(at, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            // Clocks jumped over this time that day: deliver at the first valid minute after the jump.
            do
            {
                local = local.AddMinutes(1);
            }
            while (zone.IsInvalidTime(local));
        }

        // For an ambiguous time GetUtcOffset gives the standard offset: the later of the two instants.
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}
