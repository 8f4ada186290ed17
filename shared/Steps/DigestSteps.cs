namespace Digest.Steps;

/// <summary>
/// The one list of steps that <c>digest run</c>, <c>digest once</c> and the Function App run: their names, triggers,
/// settings and methods. The constants are what the hosts' attributes name (attributes need constants); a test holds
/// every host to <see cref="All"/>. Every host calls the methods of <see cref="CrawlSteps"/> and <see cref="DeliverySteps"/>,
/// which run each step under the one <see cref="Runs.StepRunner"/> (a summary line, and the run recorded for
/// <c>digest status</c>).
/// </summary>
public static class DigestSteps
{
    public const string SnapshotDigests = "SnapshotDigests";
    public const string ParseAndDiff = "ParseAndDiff";
    public const string NotifySubscribers = "NotifySubscribers";
    public const string DeliverToSubscription = "DeliverToSubscription";

    public const string SnapshotDigestsSetting = "Schedules:" + SnapshotDigests;
    public const string ParseAndDiffSetting = "Schedules:" + ParseAndDiff;
    public const string NotifySubscribersSetting = "Schedules:" + NotifySubscribers;

    /// <summary>The delivery queue's full name (<c>Storage:NamePrefix</c> + <c>deliveries</c>); see
    /// <see cref="Storage.StorageOptions.DeliveryQueue"/>.</summary>
    public const string DeliveryQueueSetting = "Storage:DeliveryQueue";

    public const string SnapshotDigestsSchedule = "%" + SnapshotDigestsSetting + "%";
    public const string ParseAndDiffSchedule = "%" + ParseAndDiffSetting + "%";
    public const string NotifySubscribersSchedule = "%" + NotifySubscribersSetting + "%";
    public const string DeliveryQueue = "%" + DeliveryQueueSetting + "%";

    /// <summary>The queue trigger's connection: the <c>Storage</c> section, the same account the notifier writes to.</summary>
    public const string StorageConnection = "Storage";

    /// <summary>Every step, in the order <c>digest once</c> runs them.</summary>
    public static IReadOnlyList<DigestStep> All { get; } =
    [
        new(SnapshotDigests, StepTrigger.Timer, SnapshotDigestsSetting, typeof(CrawlSteps), nameof(CrawlSteps.SnapshotDigestsAsync)),
        new(ParseAndDiff, StepTrigger.Timer, ParseAndDiffSetting, typeof(CrawlSteps), nameof(CrawlSteps.ParseAndDiffAsync)),
        new(NotifySubscribers, StepTrigger.Timer, NotifySubscribersSetting, typeof(DeliverySteps), nameof(DeliverySteps.NotifySubscribersAsync)),
        new(DeliverToSubscription, StepTrigger.Queue, DeliveryQueueSetting, typeof(DeliverySteps), nameof(DeliverySteps.DeliverToSubscriptionAsync)),
    ];

    /// <summary>The steps that need <c>Delivery:Enabled</c>.</summary>
    public static bool Delivers(DigestStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        return step.Name is NotifySubscribers or DeliverToSubscription;
    }
}
