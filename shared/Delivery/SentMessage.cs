using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace Digest.Delivery;

/// <summary>
/// The receipt of one message the notifier sent (<see cref="Storage.DigestStorage.SentMessages"/>): partition = the
/// subscription's <see cref="Subscriptions.ConversationKey.PartitionKey"/>, row = when it was sent and a random tail. A
/// <see cref="DeliveryRow"/> it carried is Sent without being written again (<see cref="Resolve"/>).
/// </summary>
/// <remarks>One insert per message instead of a merge of every row it carried: in Table Storage both are one
/// transaction, but Azurite updates a row in time that grows with the table, and the outbox holds a row for every
/// paper ever planned for every subscription.</remarks>
public sealed class SentMessage : ITableEntity
{
    private const char PaperSeparator = '\n';

    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public DateTimeOffset SentAt { get; set; }

    /// <summary>The platform's id of the message (the Bot Connector's activity id, Slack's <c>ts</c>).</summary>
    public string? ActivityId { get; set; }

    /// <summary>The ids of the papers it carried, one per line.</summary>
    public string Papers { get; set; } = "";

    /// <summary>The receipt of a message that carried <paramref name="rows"/>, all of one subscription.</summary>
    public static SentMessage For(IReadOnlyList<DeliveryRow> rows, string? activityId, DateTimeOffset sentAt)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var conversation = rows[0].Conversation;
        if (rows.Any(row => row.Conversation != conversation))
        {
            throw new ArgumentException("A message goes to one subscription: every row must be of the same conversation.", nameof(rows));
        }

        return new SentMessage
        {
            PartitionKey = conversation,
            // Ticks first, so that a subscription's messages list in the order they were sent.
            RowKey = string.Create(CultureInfo.InvariantCulture, $"{sentAt.UtcTicks:D19}-{Guid.NewGuid():N}"),
            SentAt = sentAt,
            ActivityId = activityId,
            Papers = string.Join(PaperSeparator, rows.Select(row => row.PaperId)),
        };
    }

    /// <summary>
    /// Shows <paramref name="rows"/> as the messages left them: a Pending or Held row that a message carried becomes
    /// Sent, with that message's time and id (the first one, when a crash made a later run send it again). Rows are
    /// changed in place; what is stored is not.
    /// </summary>
    public static void Resolve(IEnumerable<DeliveryRow> rows, IEnumerable<SentMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(messages);
        var carried = new Dictionary<(string Conversation, string PaperId), SentMessage>();
        foreach (var message in messages.OrderBy(message => message.RowKey, StringComparer.Ordinal))
        {
            foreach (var paperId in message.Papers.Split(PaperSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                carried.TryAdd((message.PartitionKey, paperId), message);
            }
        }

        foreach (var row in rows)
        {
            if (row.State is DeliveryState.Pending or DeliveryState.Held && carried.TryGetValue((row.Conversation, row.PaperId), out var message))
            {
                row.State = DeliveryState.Sent;
                row.SentAt = message.SentAt;
                row.ActivityId = message.ActivityId;
            }
        }
    }
}
