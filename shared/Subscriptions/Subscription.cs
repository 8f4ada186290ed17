using System.Globalization;
using Azure;

namespace Digest.Subscriptions;

/// <summary>When a subscription gets its papers.</summary>
public enum DeliveryCadence
{
    /// <summary>As soon as a crawl finds matching papers.</summary>
    Instant,

    /// <summary>Once a day at <see cref="DeliveryMode.DailyAt"/> in <see cref="DeliveryMode.TimeZoneId"/>.</summary>
    Daily,

    /// <summary>Once a week on <see cref="DeliveryMode.WeeklyOn"/> at <see cref="DeliveryMode.DailyAt"/> in
    /// <see cref="DeliveryMode.TimeZoneId"/>.</summary>
    Weekly,
}

/// <summary>A subscription's delivery mode: instant, daily at a local time in a time zone, or weekly on a day at a local
/// time; <see cref="DailyAt"/> is the local time of day of a daily or weekly digest.</summary>
public sealed record DeliveryMode(DeliveryCadence Cadence, TimeOnly? DailyAt = null, string? TimeZoneId = null, DayOfWeek? WeeklyOn = null)
{
    public static DeliveryMode Instant { get; } = new(DeliveryCadence.Instant);

    public override string ToString() => Cadence switch
    {
        DeliveryCadence.Daily => $"daily {DailyAt?.ToString("HH:mm", CultureInfo.InvariantCulture)} {TimeZoneId}",
        DeliveryCadence.Weekly => $"weekly {QuietDays.ShortName(WeeklyOn ?? DayOfWeek.Monday)} {DailyAt?.ToString("HH:mm", CultureInfo.InvariantCulture)} {TimeZoneId}",
        _ => "instant",
    };
}

/// <summary>Days of the week on which nothing is sent to a subscription (the Daily Papers list is thin at weekends), as
/// days in <see cref="TimeZoneId"/>. Papers found on a quiet day are planned as usual and go out with the first
/// delivery after it.</summary>
public sealed record QuietDays(IReadOnlyList<DayOfWeek> Days, string TimeZoneId)
{
    private static readonly string[] ShortNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    /// <summary>Saturday and Sunday.</summary>
    public static IReadOnlyList<DayOfWeek> Weekends { get; } = [DayOfWeek.Saturday, DayOfWeek.Sunday];

    /// <summary>The three-letter name the commands use (<c>mon</c>).</summary>
    public static string ShortName(DayOfWeek day) => ShortNames[(int)day];

    /// <summary>A day from its English name or its first three letters, any case (<c>mon</c>, <c>Monday</c>).</summary>
    public static bool TryParseDay(string text, out DayOfWeek day)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = 0; i < ShortNames.Length; i++)
        {
            if (text.Equals(ShortNames[i], StringComparison.OrdinalIgnoreCase) || text.Equals(((DayOfWeek)i).ToString(), StringComparison.OrdinalIgnoreCase))
            {
                day = (DayOfWeek)i;
                return true;
            }
        }

        day = default;
        return false;
    }

    public override string ToString() => $"{string.Join(' ', Days.Order().Select(ShortName))} ({TimeZoneId})";
}

/// <summary>One conversation's subscription: where to send (its <see cref="ConversationAddress"/>), whether
/// to send, and how often. A row exists from the first verified contact (install or message); it is subscribed
/// only after <c>subscribe</c>.</summary>
public sealed record Subscription
{
    /// <summary>The largest <see cref="MessageLimit"/>.</summary>
    public const int MaxMessageLimit = 50;

    public required ConversationKey Key { get; init; }

    public required ConversationAddress Address { get; init; }

    /// <summary>The user typed <c>subscribe</c> (and not <c>unsubscribe</c> since).</summary>
    public bool Subscribed { get; init; }

    /// <summary>Deliveries are on hold (<c>pause</c>) until <c>resume</c>.</summary>
    public bool Paused { get; init; }

    /// <summary>The bot is installed in the conversation; false after removal (the data is kept).</summary>
    public bool Installed { get; init; } = true;

    public DeliveryMode Mode { get; init; } = DeliveryMode.Instant;

    /// <summary>Days nothing is sent (<c>quiet</c>); null when every day may have deliveries.</summary>
    public QuietDays? QuietDays { get; init; }

    /// <summary>The most papers a delivery sends (<c>limit N</c>, 1 to <see cref="MaxMessageLimit"/>); the rest are held
    /// behind a "show more" button. Null: no cap.</summary>
    public int? MessageLimit { get; init; }

    /// <summary>A daily or weekly digest that found nothing sends a short "nothing matched" note (<c>nothing-note on</c>).</summary>
    public bool NothingMatchedNote { get; init; }

    /// <summary>The delivery time of the last period whose "nothing matched" note was claimed, so that a period gets one
    /// note however often its request is handled.</summary>
    public DateTimeOffset? NothingNotedFor { get; init; }

    /// <summary>The notifier's watermark: the time of its last run that planned this conversation's papers. Papers first
    /// seen before it (less the overlap of <c>Delivery:ChangeOverlap</c>) have been considered. The notifier keeps it in a
    /// table of its own (<c>DeliveryWatermarks</c>) and sets it here on the subscriptions it reads; the subscription row
    /// carries only the one an older version wrote there.</summary>
    public DateTimeOffset? DeliveryWatermark { get; init; }

    /// <summary>Delivered papers the subscriber gave feedback on (More like this / Not interested); from
    /// the feedback ranking's minimum on, digests are ordered by what it learned.</summary>
    public int FeedbackCount { get; init; }

    /// <summary>When the reference was last refreshed from a verified activity (A7560).</summary>
    public DateTimeOffset VerifiedAt { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The ETag of the row this was read from (null for one not read from storage), so that a writer can
    /// change it without reading it again unless it changed meanwhile.</summary>
    public ETag? Version { get; init; }

    /// <summary>Installed, subscribed and not paused: papers go out.</summary>
    public bool Active => Installed && Subscribed && !Paused;
}

/// <summary>One alert rule of a conversation; <see cref="Number"/> is its 1-based place in creation order.</summary>
public sealed record StoredRule(int Number, string RowKey, string Text, DateTimeOffset CreatedAt);
