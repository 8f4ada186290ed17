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
}

/// <summary>A subscription's delivery mode: instant, or daily at a local time in a time zone.</summary>
public sealed record DeliveryMode(DeliveryCadence Cadence, TimeOnly? DailyAt = null, string? TimeZoneId = null)
{
    public static DeliveryMode Instant { get; } = new(DeliveryCadence.Instant);

    public override string ToString() => Cadence == DeliveryCadence.Instant
        ? "instant"
        : $"daily {DailyAt?.ToString("HH:mm", CultureInfo.InvariantCulture)} {TimeZoneId}";
}

/// <summary>One conversation's subscription: where to send (its <see cref="ConversationAddress"/>), whether
/// to send, and how often. A row exists from the first verified contact (install or message); it is subscribed
/// only after <c>subscribe</c>.</summary>
public sealed record Subscription
{
    public required ConversationKey Key { get; init; }

    public required ConversationAddress Address { get; init; }

    /// <summary>The user typed <c>subscribe</c> (and not <c>unsubscribe</c> since).</summary>
    public bool Subscribed { get; init; }

    /// <summary>Deliveries are on hold (<c>pause</c>) until <c>resume</c>.</summary>
    public bool Paused { get; init; }

    /// <summary>The bot is installed in the conversation; false after removal (the data is kept).</summary>
    public bool Installed { get; init; } = true;

    public DeliveryMode Mode { get; init; } = DeliveryMode.Instant;

    /// <summary>When papers were last delivered to this conversation.</summary>
    public DateTimeOffset? LastDeliveryAt { get; init; }

    /// <summary>The notifier's watermark: the time of its last run that planned this conversation's papers. Papers first
    /// seen before it (less the overlap of <c>Delivery:ChangeOverlap</c>) have been considered.</summary>
    public DateTimeOffset? DeliveryWatermark { get; init; }

    /// <summary>How many deliveries (runs, or <c>digest</c> commands, that sent at least one message) were made.</summary>
    public int DeliveryCount { get; init; }

    /// <summary>How many papers were sent here, over all deliveries.</summary>
    public int PapersDelivered { get; init; }

    /// <summary>How many messages carried them (a delivery of many papers is split into several).</summary>
    public int MessagesDelivered { get; init; }

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
