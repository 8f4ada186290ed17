using System.ComponentModel.DataAnnotations;

namespace Digest.Delivery.Queue;

/// <summary>
/// Configuration section <c>DeliveryQueue</c>: how <c>digest once</c> and <c>digest run</c> consume the delivery queue.
/// The defaults are the Function App's <c>extensions.queues</c> in functions/host.json (a test keeps them equal), so a
/// message is retried and poisoned the same way whichever host reads it.
/// </summary>
public sealed class DeliveryQueueOptions
{
    public const string SectionName = "DeliveryQueue";

    /// <summary>Tries of one message; a message that failed this many times moves to the poison queue.</summary>
    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>How long a failed message stays invisible before its next try. At least <see cref="DeliveryOptions.PendingLease"/>
    /// by default, so that the next try may claim the rows the failed one claimed.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest wait between two polls of an empty queue (<c>digest run</c>; <c>digest once</c> drains what is
    /// there and stops).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Messages taken from the queue at once, and sent at once, by one consumer.</summary>
    [Range(1, 32)]
    public int BatchSize { get; set; } = 16;
}
