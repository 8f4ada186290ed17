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

    /// <summary>Matched and held back by the subscription's cap (<c>limit N</c>): not sent by any notifier run, only by a
    /// click on the "show more" button of its <see cref="DeliveryRow.HeldBatch"/> (or the <c>more</c> command), then Sent.</summary>
    public const string Held = "Held";
}

/// <summary>One (subscription, paper) pair: the outbox entry while Pending, the delivery receipt once Sent (a
/// <see cref="SentMessage"/> that carried it says so; the row itself is not written again). Partition =
/// the subscription's tenant (<see cref="DeliveryOutbox.PartitionOf"/>), row = the subscription's
/// <see cref="ConversationKey.PartitionKey"/> and the paper id (<see cref="DeliveryOutbox.RowKeyOf"/>); the row is
/// inserted only when absent and never deleted, so a pair is planned, and therefore delivered, at most once. A tenant's
/// rows share a partition so that a run plans them in transactions of 100, not one request per pair.</summary>
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

    /// <summary>While <see cref="DeliveryState.Held"/>: when a "show more" click took the row to send it; null until
    /// then. A claim older than <see cref="DeliveryOptions.PendingLease"/> is stale (that click failed or died) and the
    /// row can be claimed again. (Pending rows are sent under their subscription's lease instead:
    /// <see cref="PendingDeliveries"/>.)</summary>
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

    /// <summary>While <see cref="DeliveryState.Held"/>: the batch one "show more" click sends, <c>{chain}-{n}</c> (the
    /// chain is the ticks of the delivery that held it, so batches sort in the order they are offered).</summary>
    public string? HeldBatch { get; set; }

    /// <summary>While <see cref="DeliveryState.Held"/>: the paper's place in its chain, in the digest's order.</summary>
    public int? HeldRank { get; set; }

    /// <summary>The subscription's <see cref="ConversationKey.PartitionKey"/>.</summary>
    public string Conversation { get; set; } = "";

    public string PaperId { get; set; } = "";

    /// <summary>A copy to change (claim, mark) without changing this one.</summary>
    public DeliveryRow Copy() => (DeliveryRow)MemberwiseClone();
}

/// <summary>A (subscription, paper) match the planner wants in the outbox, with when a change re-opened the paper.</summary>
public sealed record PlannedPaper(ConversationKey Key, string PaperId, IReadOnlyList<string> Highlights, DateTimeOffset ReopenedAt, string? TraceParent);

/// <summary>The outbox/receipts table (<see cref="DigestStorage.Deliveries"/>), created by <see cref="DigestStorage.EnsureCreatedAsync"/>.</summary>
public sealed class DeliveryOutbox
{
    private const int MaxErrorLength = 1000;

    // Between a subscription's key and the paper id; sorts after every base64url character, so a subscription's rows are
    // one range of its tenant's partition.
    private const char Separator = '|';
    private const char AfterSeparator = '}';

    // Subscription partitions are base64url; the bookkeeping partitions (the planner's state) start with '~'.
    private const string BookkeepingPrefix = "~";
    private readonly TableClient _table;
    private readonly TableClient _sentMessages;

    public DeliveryOutbox(DigestStorage storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _table = storage.Deliveries;
        _sentMessages = storage.SentMessages;
    }

    /// <summary>The partition of a subscription's rows: its channel and tenant, hashed (base64url, so it sorts before the
    /// bookkeeping partitions that start with '~').</summary>
    public static string PartitionOf(ConversationKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ConversationKey.HashKey($"{key.ChannelId}\n{key.TenantId}");
    }

    /// <summary>The row key of a (subscription, paper) pair.</summary>
    public static string RowKeyOf(ConversationKey key, string paperId)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.PartitionKey + Separator + paperId;
    }

    /// <summary>Rows planned for <paramref name="key"/> but not yet sent, oldest first.</summary>
    public async Task<IReadOnlyList<DeliveryRow>> ListPendingAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var rows = await QueryAsync(key, TableClient.CreateQueryFilter($"State eq {DeliveryState.Pending}"), cancellationToken).ConfigureAwait(false);
        return [.. rows.Where(row => row.State == DeliveryState.Pending).OrderBy(row => row.PlannedAt).ThenBy(row => row.RowKey, StringComparer.Ordinal)];
    }

    /// <summary>Rows held back by the subscription's cap, in the order "show more" offers them (batch, then place).</summary>
    public async Task<IReadOnlyList<DeliveryRow>> ListHeldAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var rows = await QueryAsync(key, TableClient.CreateQueryFilter($"State eq {DeliveryState.Held}"), cancellationToken).ConfigureAwait(false);
        return [.. rows.Where(row => row.State == DeliveryState.Held).OrderBy(row => row.HeldBatch, StringComparer.Ordinal).ThenBy(row => row.HeldRank).ThenBy(row => row.RowKey, StringComparer.Ordinal)];
    }

    /// <summary>Every row of <paramref name="key"/>: its receipts and pending entries.</summary>
    public Task<List<DeliveryRow>> ListAsync(ConversationKey key, CancellationToken cancellationToken) =>
        QueryAsync(key, null, cancellationToken);

    /// <summary>Every row of every subscription, as the messages sent left them.</summary>
    public async Task<List<DeliveryRow>> ListEveryAsync(CancellationToken cancellationToken)
    {
        var rows = await _table.QueryAsync<DeliveryRow>(TableClient.CreateQueryFilter($"PartitionKey lt {BookkeepingPrefix}"), maxPerPage: 1000, cancellationToken: cancellationToken)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var messages = await _sentMessages.QueryAsync<SentMessage>(filter: (string?)null, maxPerPage: 1000, cancellationToken: cancellationToken)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        SentMessage.Resolve(rows, messages);
        return rows;
    }

    // The subscription's rows that meet the condition as stored, shown as its messages left them: a row stored Pending
    // may come back Sent.
    private async Task<List<DeliveryRow>> QueryAsync(ConversationKey key, string? condition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var partition = PartitionOf(key);
        var first = key.PartitionKey + Separator;
        var end = key.PartitionKey + AfterSeparator;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey gt {first} and RowKey lt {end}");
        filter = condition is null ? filter : $"{filter} and {condition}";
        var rows = await _table.QueryAsync<DeliveryRow>(filter, cancellationToken: cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (rows.Count > 0)
        {
            SentMessage.Resolve(rows, await ListSentMessagesAsync(key, cancellationToken).ConfigureAwait(false));
        }

        return rows;
    }

    private async Task<List<SentMessage>> ListSentMessagesAsync(ConversationKey key, CancellationToken cancellationToken) =>
        await _sentMessages.QueryAsync<SentMessage>(TableClient.CreateQueryFilter($"PartitionKey eq {key.PartitionKey}"), cancellationToken: cancellationToken)
            .ToListAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Plans a paper for a subscription: inserts a Pending row unless one (pending or sent) exists. Returns the
    /// new row, or null when the pair was already planned or delivered.</summary>
    public async Task<DeliveryRow?> TryPlanAsync(ConversationKey key, string paperId, IReadOnlyList<string> highlights, DateTimeOffset now, CancellationToken cancellationToken, string? traceParent = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(highlights);
        var row = NewRow(new PlannedPaper(key, paperId, highlights, now, traceParent), now);
        return await TryInsertAsync(row, cancellationToken).ConfigureAwait(false) ? row : null;
    }

    /// <summary>
    /// The pairs that may have no row yet. Pairs a change re-opened before <paramref name="plannedBefore"/> (the last
    /// finished run, which may have planned them) are looked up, with one query per tenant partition for the rows
    /// planned since the earliest of those changes, so a run that finds nothing new writes nothing. A pair planned
    /// from an earlier change is not found and is left to the insert (<see cref="PlanAsync"/>) to refuse.
    /// </summary>
    public async Task<IReadOnlyList<PlannedPaper>> WithoutRowsAsync(IReadOnlyList<PlannedPaper> papers, DateTimeOffset? plannedBefore, int maxConcurrency, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(papers);
        var missing = new System.Collections.Concurrent.ConcurrentBag<PlannedPaper>();
        var partitions = papers.DistinctBy(paper => RowKeyOf(paper.Key, paper.PaperId), StringComparer.Ordinal).GroupBy(paper => PartitionOf(paper.Key), StringComparer.Ordinal).ToList();
        await Parallel.ForEachAsync(partitions, new ParallelOptions { MaxDegreeOfParallelism = maxConcurrency, CancellationToken = cancellationToken }, async (partition, token) =>
        {
            var maybePlanned = partition.Where(paper => paper.ReopenedAt < plannedBefore).ToList();
            var existing = maybePlanned.Count == 0
                ? []
                : await RowKeysPlannedSinceAsync(partition.Key, maybePlanned.Min(paper => paper.ReopenedAt), token).ConfigureAwait(false);
            foreach (var paper in partition.Where(paper => !existing.Contains(RowKeyOf(paper.Key, paper.PaperId))))
            {
                missing.Add(paper);
            }
        }).ConfigureAwait(false);
        return [.. missing];
    }

    /// <summary>
    /// Plans many pairs: inserts a Pending row for each pair that has none, in one transaction per 100 rows of a tenant's
    /// partition. A pair planned already (by another planner meanwhile, or from an earlier change) makes its batch fail
    /// as a whole; that batch is then inserted row by row. Returns the new rows.
    /// </summary>
    public async Task<IReadOnlyList<DeliveryRow>> PlanAsync(IReadOnlyList<PlannedPaper> papers, DateTimeOffset now, int maxConcurrency, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(papers);
        var planned = new System.Collections.Concurrent.ConcurrentBag<DeliveryRow>();
        var partitions = papers.Select(paper => NewRow(paper, now)).DistinctBy(row => row.RowKey, StringComparer.Ordinal).GroupBy(row => row.PartitionKey, StringComparer.Ordinal).ToList();
        await Parallel.ForEachAsync(partitions, new ParallelOptions { MaxDegreeOfParallelism = maxConcurrency, CancellationToken = cancellationToken }, async (partition, token) =>
        {
            foreach (var batch in partition.Chunk(TableTransactions.MaxOperations))
            {
                foreach (var row in await InsertAsync(batch, token).ConfigureAwait(false))
                {
                    planned.Add(row);
                }
            }
        }).ConfigureAwait(false);
        return [.. planned];
    }

    private async Task<HashSet<string>> RowKeysPlannedSinceAsync(string partition, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and PlannedAt ge {since}");
        return await _table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: [nameof(ITableEntity.RowKey)], cancellationToken: cancellationToken)
            .Select(row => row.RowKey)
            .ToHashSetAsync(StringComparer.Ordinal, cancellationToken).ConfigureAwait(false);
    }

    // The rows inserted: all of them in one transaction, or, when one was there already, those that were not.
    private async Task<List<DeliveryRow>> InsertAsync(DeliveryRow[] batch, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _table.SubmitTransactionAsync(batch.Select(row => new TableTransactionAction(TableTransactionActionType.Add, row)), cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i].ETag = response.Value[i].Headers.ETag ?? default;
            }

            return [.. batch];
        }
        catch (TableTransactionFailedException exception) when (exception.Status == 409)
        {
            var inserted = new List<DeliveryRow>(batch.Length);
            foreach (var row in batch)
            {
                if (await TryInsertAsync(row, cancellationToken).ConfigureAwait(false))
                {
                    inserted.Add(row);
                }
            }

            return inserted;
        }
    }

    private async Task<bool> TryInsertAsync(DeliveryRow row, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _table.AddEntityAsync(row, cancellationToken).ConfigureAwait(false);
            row.ETag = response.Headers.ETag ?? default;
            return true;
        }
        catch (RequestFailedException exception) when (exception.Status == 409)
        {
            return false;
        }
    }

    private static DeliveryRow NewRow(PlannedPaper paper, DateTimeOffset now) => new()
    {
        PartitionKey = PartitionOf(paper.Key),
        RowKey = RowKeyOf(paper.Key, paper.PaperId),
        Conversation = paper.Key.PartitionKey,
        PaperId = paper.PaperId,
        State = DeliveryState.Pending,
        Highlights = string.Join('\n', paper.Highlights),
        PlannedAt = now,
        TraceParent = paper.TraceParent,
    };

    /// <summary>Claims Held rows for one "show more" click: stamps <see cref="DeliveryRow.ClaimedAt"/> on each row still
    /// unchanged since it was read (its ETag), so that two clicks on one button never both send a row. One transaction per
    /// partition and 100 rows; when another click changed a row first, the batch is claimed row by row. Returns the rows
    /// claimed.</summary>
    public async Task<IReadOnlyList<DeliveryRow>> ClaimAsync(IReadOnlyList<DeliveryRow> rows, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var claimed = new List<DeliveryRow>(rows.Count);
        foreach (var batch in TableTransactions.ByPartition(rows))
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
        foreach (var batch in TableTransactions.ByPartition(rows))
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

    /// <summary>
    /// Holds <paramref name="rows"/> (in the order they are to be offered) behind "show more": Held, unclaimed, in batches
    /// of <paramref name="batchSize"/> named <c>{chain}-{n}</c>. Each write is conditional on the row's ETag, one
    /// transaction per 100; a row changed meanwhile (a click claimed it to send it) is left as it is. Returns the rows held.
    /// </summary>
    public async Task<IReadOnlyList<DeliveryRow>> HoldAsync(IReadOnlyList<DeliveryRow> rows, string chain, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentException.ThrowIfNullOrWhiteSpace(chain);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        for (var i = 0; i < rows.Count; i++)
        {
            rows[i].State = DeliveryState.Held;
            rows[i].ClaimedAt = null;
            rows[i].HeldBatch = BatchOf(chain, i / batchSize);
            rows[i].HeldRank = i;
        }

        var held = new List<DeliveryRow>(rows.Count);
        foreach (var batch in TableTransactions.ByPartition(rows))
        {
            try
            {
                var response = await _table.SubmitTransactionAsync(batch.Select(row => new TableTransactionAction(TableTransactionActionType.UpdateReplace, row, row.ETag)), cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < batch.Length; i++)
                {
                    batch[i].ETag = response.Value[i].Headers.ETag ?? default;
                }

                held.AddRange(batch);
            }
            catch (TableTransactionFailedException exception) when (exception.Status is 412 or 404)
            {
                foreach (var row in batch)
                {
                    try
                    {
                        var response = await _table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                        row.ETag = response.Headers.ETag ?? default;
                        held.Add(row);
                    }
                    catch (RequestFailedException single) when (single.Status is 412 or 404)
                    {
                        // Claimed by a click meanwhile: that click sends it.
                    }
                }
            }
        }

        return held;
    }

    /// <summary>The name of batch <paramref name="index"/> of a chain of held rows.</summary>
    public static string BatchOf(string chain, int index) => string.Create(CultureInfo.InvariantCulture, $"{chain}-{index:D4}");

    /// <summary>Marks the rows of one message Sent with the activity that carried them: one <see cref="SentMessage"/>
    /// inserted, the rows themselves not written (in memory they become Sent).</summary>
    public async Task MarkSentAsync(IReadOnlyList<DeliveryRow> rows, string? activityId, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return;
        }

        var message = SentMessage.For(rows, activityId, sentAt);
        await _sentMessages.AddEntityAsync(message, cancellationToken).ConfigureAwait(false);
        SentMessage.Resolve(rows, [message]);
    }

    /// <summary>Stores feedback on a delivered paper's receipt (a merge of two properties, so nothing else of the row
    /// changes). Idempotent: the same feedback again writes nothing; the other one replaces it.</summary>
    public async Task<FeedbackRecorded> RecordFeedbackAsync(ConversationKey key, string paperId, PaperFeedback feedback, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(paperId);
        var (partition, rowKey) = (PartitionOf(key), RowKeyOf(key, paperId));
        var name = feedback.ToString();
        while (true)
        {
            var existing = await _table.GetEntityIfExistsAsync<DeliveryRow>(partition, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (existing is not { HasValue: true, Value: { } row })
            {
                return FeedbackRecorded.NotDelivered;
            }

            if (row.State != DeliveryState.Sent)
            {
                SentMessage.Resolve([row], await ListSentMessagesAsync(key, cancellationToken).ConfigureAwait(false));
                if (row.State != DeliveryState.Sent)
                {
                    return FeedbackRecorded.NotDelivered;
                }
            }

            if (row.Feedback == name)
            {
                return FeedbackRecorded.Unchanged;
            }

            // Conditional on the row as read: of two clicks at once, one records and the other reads it again and finds
            // it noted, so the subscription's feedback count goes up once.
            var update = new TableEntity(partition, rowKey) { [nameof(DeliveryRow.Feedback)] = name, [nameof(DeliveryRow.FeedbackAt)] = now };
            try
            {
                await _table.UpdateEntityAsync(update, row.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                return row.Feedback is null ? FeedbackRecorded.Recorded : FeedbackRecorded.Changed;
            }
            catch (RequestFailedException exception) when (exception.Status == 412)
            {
                // changed since it was read: read it again
            }
        }
    }
}
