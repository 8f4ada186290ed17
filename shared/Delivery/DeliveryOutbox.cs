using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Digest.Storage;
using Digest.Subscriptions;

namespace Digest.Delivery;

/// <summary>The states of a <see cref="DeliveryRow"/>.</summary>
public static class DeliveryState
{
    /// <summary>Planned: the paper will go to the subscription in the next message (or the next run after a crash).</summary>
    public const string Pending = "Pending";

    /// <summary>The connector accepted the message that carried the paper.</summary>
    public const string Sent = "Sent";

    /// <summary>A dead letter: sending failed <see cref="DeliveryOptions.MaxAttempts"/> times; never sent again, kept
    /// with its <see cref="DeliveryRow.LastError"/> for an operator.</summary>
    public const string Failed = "Failed";
}

/// <summary>One (subscription, paper) pair: the outbox entry while Pending, the delivery receipt once Sent. Partition =
/// <see cref="ConversationKey.PartitionKey"/>, row = paper id; the row is inserted only when absent and never deleted,
/// so a pair is planned, and therefore delivered, at most once.</summary>
public sealed class DeliveryRow : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    /// <summary>One of <see cref="DeliveryState"/>.</summary>
    public string State { get; set; } = DeliveryState.Pending;

    /// <summary>The words that matched, one per line, so a message sent after a crash shows what the planned one would have.</summary>
    public string Highlights { get; set; } = "";

    public DateTimeOffset PlannedAt { get; set; }

    /// <summary>When a sender took the row to send it; null until then. A claim older than the lease is stale (its
    /// sender died) and the row can be claimed again.</summary>
    public DateTimeOffset? ClaimedAt { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    /// <summary>The connector's id of the activity that carried the paper.</summary>
    public string? ActivityId { get; set; }

    /// <summary>Sends of this row that failed (the subscription's own faults; not the bot's credentials, not storage).</summary>
    public int Attempts { get; set; }

    /// <summary>Why the last failed send failed.</summary>
    public string? LastError { get; set; }

    /// <summary>The trace context of the fetch that found the change which planned the row, so that the send links to it.</summary>
    public string? TraceParent { get; set; }

    /// <summary>The subscriber's <see cref="PaperFeedback"/> on the delivered paper, by name; null when none.</summary>
    public string? Feedback { get; set; }

    public DateTimeOffset? FeedbackAt { get; set; }

    public string PaperId => RowKey;
}

/// <summary>The outbox/receipts table (<see cref="DigestStorage.Deliveries"/>), created by <see cref="DigestStorage.EnsureCreatedAsync"/>.</summary>
public sealed class DeliveryOutbox
{
    private const int MaxBatch = 100;
    private const int MaxErrorLength = 1000;
    private readonly TableClient _table;

    public DeliveryOutbox(DigestStorage storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _table = storage.Deliveries;
    }

    /// <summary>Rows planned for <paramref name="key"/> but not yet marked sent, oldest first.</summary>
    public async Task<IReadOnlyList<DeliveryRow>> ListPendingAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {key.PartitionKey} and State eq {DeliveryState.Pending}");
        var rows = new List<DeliveryRow>();
        await foreach (var row in _table.QueryAsync<DeliveryRow>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        return [.. rows.OrderBy(row => row.PlannedAt).ThenBy(row => row.RowKey, StringComparer.Ordinal)];
    }

    /// <summary>Every row of <paramref name="key"/>: its receipts and pending entries.</summary>
    public async Task<IReadOnlyList<DeliveryRow>> ListAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {key.PartitionKey}");
        var rows = new List<DeliveryRow>();
        await foreach (var row in _table.QueryAsync<DeliveryRow>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>Plans a paper for a subscription: inserts a Pending row unless one (pending or sent) exists. Returns the
    /// new row, or null when the pair was already planned or delivered.</summary>
    public async Task<DeliveryRow?> TryPlanAsync(ConversationKey key, string paperId, IReadOnlyList<string> highlights, DateTimeOffset now, CancellationToken cancellationToken, string? traceParent = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(highlights);
        var row = new DeliveryRow
        {
            PartitionKey = key.PartitionKey,
            RowKey = paperId,
            State = DeliveryState.Pending,
            Highlights = string.Join('\n', highlights),
            PlannedAt = now,
            TraceParent = traceParent,
        };
        try
        {
            var response = await _table.AddEntityAsync(row, cancellationToken).ConfigureAwait(false);
            row.ETag = response.Headers.ETag ?? default;
            return row;
        }
        catch (RequestFailedException exception) when (exception.Status == 409)
        {
            return null;
        }
    }

    /// <summary>Claims Pending rows for one sender: stamps <see cref="DeliveryRow.ClaimedAt"/> on each row still unchanged
    /// since it was read (its ETag), so that two senders of one plan (a redelivered queue message, a digest asked for in
    /// chat while the timer runs) never both send a row. One transaction per partition and 100 rows; when another sender
    /// changed a row first, the batch is claimed row by row. Returns the rows claimed.</summary>
    public async Task<IReadOnlyList<DeliveryRow>> ClaimAsync(IReadOnlyList<DeliveryRow> rows, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var claimed = new List<DeliveryRow>(rows.Count);
        foreach (var batch in rows.GroupBy(row => row.PartitionKey, StringComparer.Ordinal).SelectMany(partition => partition.Chunk(MaxBatch)))
        {
            var previous = batch.Select(row => row.ClaimedAt).ToArray();
            foreach (var row in batch)
            {
                row.ClaimedAt = now;
            }

            try
            {
                var response = await _table.SubmitTransactionAsync(batch.Select(row => new TableTransactionAction(TableTransactionActionType.UpdateMerge, row, row.ETag)), cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < batch.Length; i++)
                {
                    batch[i].ETag = response.Value[i].Headers.ETag ?? default;
                }

                claimed.AddRange(batch);
            }
            catch (TableTransactionFailedException exception) when (exception.Status is 412 or 404)
            {
                for (var i = 0; i < batch.Length; i++)
                {
                    batch[i].ClaimedAt = previous[i];
                    if (await TryClaimAsync(batch[i], now, cancellationToken).ConfigureAwait(false))
                    {
                        claimed.Add(batch[i]);
                    }
                }
            }
        }

        return claimed;
    }

    private async Task<bool> TryClaimAsync(DeliveryRow row, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var previous = row.ClaimedAt;
        row.ClaimedAt = now;
        try
        {
            var response = await _table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            row.ETag = response.Headers.ETag ?? default;
            return true;
        }
        catch (RequestFailedException exception) when (exception.Status is 412 or 404)
        {
            row.ClaimedAt = previous;
            return false;
        }
    }

    /// <summary>Counts a failed send against <paramref name="rows"/>: one more attempt and the error; a row that reached
    /// <paramref name="maxAttempts"/> becomes <see cref="DeliveryState.Failed"/>, the others stay Pending. Returns how
    /// many became Failed.</summary>
    public async Task<int> RecordFailedAttemptAsync(IReadOnlyList<DeliveryRow> rows, string error, int maxAttempts, DateTimeOffset failedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(error);
        var deadLettered = 0;
        foreach (var batch in rows.GroupBy(row => row.PartitionKey, StringComparer.Ordinal).SelectMany(partition => partition.Chunk(MaxBatch)))
        {
            var actions = new List<TableTransactionAction>(batch.Length);
            foreach (var row in batch)
            {
                row.Attempts++;
                row.LastError = string.Create(CultureInfo.InvariantCulture, $"{failedAt:O} {error[..Math.Min(error.Length, MaxErrorLength)]}");
                if (row.Attempts >= maxAttempts)
                {
                    row.State = DeliveryState.Failed;
                    deadLettered++;
                }

                actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateMerge, row, ETag.All));
            }

            await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
        }

        return deadLettered;
    }

    /// <summary>Marks rows Sent with the activity that carried them, in batches of one partition.</summary>
    public async Task MarkSentAsync(IReadOnlyList<DeliveryRow> rows, string? activityId, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var batch in rows.GroupBy(row => row.PartitionKey, StringComparer.Ordinal).SelectMany(partition => partition.Chunk(MaxBatch)))
        {
            var actions = batch.Select(row =>
            {
                row.State = DeliveryState.Sent;
                row.SentAt = sentAt;
                row.ActivityId = activityId;
                return new TableTransactionAction(TableTransactionActionType.UpdateMerge, row, ETag.All);
            });
            await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stores feedback on a delivered paper's receipt (a merge of two properties, so nothing else of the row
    /// changes). Idempotent: the same feedback again writes nothing; the other one replaces it.</summary>
    public async Task<FeedbackRecorded> RecordFeedbackAsync(ConversationKey key, string paperId, PaperFeedback feedback, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(paperId);
        var existing = await _table.GetEntityIfExistsAsync<DeliveryRow>(key.PartitionKey, paperId, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (existing is not { HasValue: true, Value: { State: DeliveryState.Sent } row })
        {
            return FeedbackRecorded.NotDelivered;
        }

        var name = feedback.ToString();
        if (row.Feedback == name)
        {
            return FeedbackRecorded.Unchanged;
        }

        var update = new TableEntity(key.PartitionKey, paperId) { [nameof(DeliveryRow.Feedback)] = name, [nameof(DeliveryRow.FeedbackAt)] = now };
        await _table.UpdateEntityAsync(update, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        return FeedbackRecorded.Recorded;
    }

    /// <summary>The receipts of <paramref name="key"/> that carry feedback.</summary>
    public async Task<IReadOnlyList<DeliveryRow>> ListFeedbackAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {key.PartitionKey} and Feedback ne {""}");
        var rows = new List<DeliveryRow>();
        await foreach (var row in _table.QueryAsync<DeliveryRow>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        return rows;
    }
}
