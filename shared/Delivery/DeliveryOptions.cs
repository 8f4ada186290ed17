using System.ComponentModel.DataAnnotations;

namespace Digest.Delivery;

/// <summary>Configuration section <c>Delivery</c>: the notifier's limits. Its table is <see cref="Storage.DigestStorage.Deliveries"/>.</summary>
public sealed class DeliveryOptions
{
    public const string SectionName = "Delivery";

    /// <summary>Whether the hosts that run the steps (<c>digest once</c>, <c>digest run</c>, the Function App) run the
    /// notifier too. When on, the Bot settings are validated at start-up; without <c>Bot:AppId</c> papers go only to
    /// conversations on loopback addresses (the Agents Playground), with no token.</summary>
    public bool Enabled { get; set; }

    /// <summary>Most papers in one message; more papers go in following messages. A card that would pass the size budget
    /// of <see cref="Platforms.Teams.Cards.AdaptiveCardRenderer"/> is split further.</summary>
    [Range(1, 50)]
    public int MaxPapersPerMessage { get; set; } = 10;

    /// <summary>How far before a subscription's watermark new papers are looked for again. A change is stamped with the
    /// fetch time of its snapshot but written when the page is parsed, later; the overlap catches changes written after
    /// a run read the log. Receipts keep the overlap from sending anything twice.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ChangeOverlap { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How old a Pending row must be before another run re-sends it. Longer than one run's sends to one
    /// conversation, so that a digest asked for in chat and the timer never send the same rows at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan PendingLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Failed sends after which a paper's row becomes <see cref="DeliveryState.Failed"/> (a dead letter, reported
    /// and never sent again) instead of staying Pending for the next run.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 10;

    /// <summary>Subscriptions sent to at once by one process; the platforms' rate limiters pace them further.</summary>
    [Range(1, 256)]
    public int MaxConcurrentSends { get; set; } = 16;

    /// <summary>How far back the first delivery of a new subscription looks.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan InitialLookBack { get; set; } = TimeSpan.FromDays(1);
}
