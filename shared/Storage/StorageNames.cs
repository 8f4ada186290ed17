using System.Text.RegularExpressions;

namespace Digest.Storage;

/// <summary>
/// Every table, blob container and queue of the product, by base name. Each is created as <c>Storage:NamePrefix</c> + base
/// name, so that deployments sharing one account share nothing; <see cref="DigestStorage"/> hands out the clients and
/// creates them. A new table or container is added here and nowhere else.
/// </summary>
public static partial class StorageNames
{
    /// <summary>One row per watched page.</summary>
    public const string Pages = "pages";

    /// <summary>One row per stored snapshot.</summary>
    public const string SnapshotLog = "snapshots";

    /// <summary>One row per paper.</summary>
    public const string Papers = "papers";

    /// <summary>The change log.</summary>
    public const string Changes = "changes";

    /// <summary>One row per conversation.</summary>
    public const string Subscriptions = "subscriptions";

    /// <summary>The rules, partitioned by conversation.</summary>
    public const string Rules = "rules";

    /// <summary>The notifier's outbox and delivery receipts.</summary>
    public const string Deliveries = "deliveries";

    /// <summary>One marker per subscription with Pending rows, which its sender leases.</summary>
    public const string PendingDeliveries = "pendingdeliveries";

    /// <summary>One row per message the notifier sent: the papers it carried, and when.</summary>
    public const string SentMessages = "sentmessages";

    /// <summary>The notifier's watermark of each subscription it planned.</summary>
    public const string Watermarks = "watermarks";

    /// <summary>One row per Slack workspace (or Enterprise Grid org) the app is installed in, its tokens encrypted.</summary>
    public const string SlackInstallations = "slackinstallations";

    /// <summary>The Slack events already handled (by <c>event_id</c>), so a retry is never handled twice.</summary>
    public const string SlackEvents = "slackevents";

    /// <summary>The Slack channels each person manages from their App Home (partition = the person).</summary>
    public const string SlackManagers = "slackmanagers";

    /// <summary>One row per step (<c>SnapshotDigests</c>, …): its last run, whichever host ran it.</summary>
    public const string StepRuns = "stepruns";

    /// <summary>The blob container of raw page snapshots.</summary>
    public const string SnapshotContainer = "snapshots";

    /// <summary>The queue of deliveries: one message per due subscription, read by <c>DeliverToSubscription</c>.</summary>
    public const string DeliveryQueue = "deliveries";

    /// <summary>What the Functions host (and <c>digest</c>) appends to a queue's name for the queue of its messages that
    /// failed <c>maxDequeueCount</c> times.</summary>
    public const string PoisonSuffix = "-poison";

    /// <summary>Every table's base name.</summary>
    public static IReadOnlyList<string> Tables { get; } = [Pages, SnapshotLog, Papers, Changes, Subscriptions, Rules, Deliveries, PendingDeliveries, SentMessages, Watermarks, SlackInstallations, SlackEvents, SlackManagers, StepRuns];

    /// <summary>Every blob container's base name.</summary>
    public static IReadOnlyList<string> Containers { get; } = [SnapshotContainer];

    /// <summary>Every queue's base name, the poison queues included.</summary>
    public static IReadOnlyList<string> Queues { get; } = [DeliveryQueue, DeliveryQueue + PoisonSuffix];

    /// <summary>Table Storage's rule: 3-63 letters or digits, starting with a letter.</summary>
    public static bool IsValidTableName(string name) => TableName().IsMatch(name);

    /// <summary>Blob Storage's rule: 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit.</summary>
    public static bool IsValidContainerName(string name) => ContainerName().IsMatch(name);

    /// <summary>Queue Storage's rule is Blob Storage's for containers.</summary>
    public static bool IsValidQueueName(string name) => ContainerName().IsMatch(name);

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    private static partial Regex TableName();

    [GeneratedRegex("^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex ContainerName();
}
