using Digest.Subscriptions;

namespace Digest.Delivery;

/// <summary>When a subscription's delivery mode makes it due.</summary>
public static class DeliverySchedule
{
    /// <summary>True when a run at <paramref name="now"/> should deliver: every run for <c>instant</c>; for
    /// <c>daily HH:mm zone</c>, once the local time has passed today's HH:mm and the last run for the subscription
    /// (<paramref name="watermark"/>) was before it. An unknown time zone is never due.</summary>
    public static bool IsDue(DeliveryMode mode, DateTimeOffset? watermark, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(mode);
        if (mode.Cadence == DeliveryCadence.Instant)
        {
            return true;
        }

        return TodaysDeliveryTime(mode, now) is { } target && now >= target && (watermark is null || watermark < target);
    }

    /// <summary>The instant of today's (in the mode's zone) daily delivery time; null for instant mode or an unknown zone.
    /// A time in the spring-forward gap moves forward by the gap; an ambiguous autumn time takes the later instant.</summary>
    public static DateTimeOffset? TodaysDeliveryTime(DeliveryMode mode, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(mode);
        if (mode is not { Cadence: DeliveryCadence.Daily, DailyAt: { } at, TimeZoneId: { } zoneId }
            || !TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone))
        {
            return null;
        }

        var localNow = TimeZoneInfo.ConvertTime(now, zone);
        var local = DateOnly.FromDateTime(localNow.DateTime).ToDateTime(at, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            // Clocks jumped over this time today: deliver at the first valid minute after the jump.
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
