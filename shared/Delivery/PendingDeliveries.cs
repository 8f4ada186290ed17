using Azure;
using Azure.Data.Tables;
using Digest.Storage;
using Digest.Subscriptions;

namespace Digest.Delivery;

/// <summary>
/// The index of subscriptions that have Pending rows: one marker row per subscription in one partition of the
/// deliveries table, so that the planner finds every subscription with papers still to send in a single query, without
/// a query per subscription or a scan of every receipt. The planner adds markers after it plans rows; a sender removes
/// its subscription's marker once no Pending row is left, and only if no planner touched the marker meanwhile.
/// </summary>
public sealed class PendingDeliveries(DigestStorage storage)
{
    // Subscription partitions are base64url hashes, so '~' sorts after all of them and never collides.
    internal const string Partition = "~pending";
    private const int MaxBatch = 100;

    /// <summary>Marks subscriptions as having Pending rows, in batches of 100; returns each marker's new ETag.</summary>
    public async Task<Dictionary<ConversationKey, ETag>> MarkAsync(IEnumerable<ConversationKey> keys, DateTimeOffset plannedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var written = new Dictionary<ConversationKey, ETag>();
        foreach (var batch in keys.DistinctBy(key => key.PartitionKey).Chunk(MaxBatch))
        {
            var response = await storage.Deliveries.SubmitTransactionAsync(
                batch.Select(key => new TableTransactionAction(TableTransactionActionType.UpsertReplace, Marker(key, plannedAt))),
                cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < batch.Length; i++)
            {
                written[batch[i]] = response.Value[i].Headers.ETag ?? default;
            }
        }

        return written;
    }

    /// <summary>Marks the subscriptions a planner is about to plan rows for, before it inserts them, in batches of 100: a
    /// subscription in <paramref name="marked"/> (its marker read before) gets its marker replaced, any other a new one,
    /// inserted only if none is there. Returns each marker's ETag and whether this call created it. A marker created
    /// here means the subscription had no Pending rows: every row is inserted after its subscription is marked, and a
    /// marker is removed only by a sender that saw every Pending row sent, so the rows this planner inserts next are all
    /// there is to send, but for rows of other planners, which mark the subscription again after inserting them.</summary>
    public async Task<Dictionary<ConversationKey, MarkerWrite>> MarkPlannedAsync(IEnumerable<ConversationKey> keys, IReadOnlySet<ConversationKey> marked, DateTimeOffset plannedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(marked);
        var written = new Dictionary<ConversationKey, MarkerWrite>();
        foreach (var batch in keys.DistinctBy(key => key.PartitionKey).Chunk(MaxBatch))
        {
            try
            {
                var response = await storage.Deliveries.SubmitTransactionAsync(
                    batch.Select(key => new TableTransactionAction(marked.Contains(key) ? TableTransactionActionType.UpsertReplace : TableTransactionActionType.Add, Marker(key, plannedAt))),
                    cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < batch.Length; i++)
                {
                    written[batch[i]] = new MarkerWrite(response.Value[i].Headers.ETag ?? default, !marked.Contains(batch[i]));
                }
            }
            catch (TableTransactionFailedException exception) when (exception.Status == 409)
            {
                // Another planner marked one of them first: mark them one by one.
                foreach (var key in batch)
                {
                    written[key] = await MarkOneAsync(key, !marked.Contains(key), plannedAt, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return written;
    }

    private async Task<MarkerWrite> MarkOneAsync(ConversationKey key, bool create, DateTimeOffset plannedAt, CancellationToken cancellationToken)
    {
        if (create)
        {
            try
            {
                var added = await storage.Deliveries.AddEntityAsync(Marker(key, plannedAt), cancellationToken).ConfigureAwait(false);
                return new MarkerWrite(added.Headers.ETag ?? default, Created: true);
            }
            catch (RequestFailedException exception) when (exception.Status == 409)
            {
                // There already: replaced below, like a marker read before.
            }
        }

        var replaced = await storage.Deliveries.UpsertEntityAsync(Marker(key, plannedAt), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return new MarkerWrite(replaced.Headers.ETag ?? default, Created: false);
    }

    /// <summary>Every marked subscription, with when it was marked and its marker's ETag.</summary>
    public async Task<IReadOnlyList<DeliveryRequest>> ListAsync(CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition}");
        return await storage.Deliveries.QueryAsync<TableEntity>(filter, maxPerPage: 1000, cancellationToken: cancellationToken)
            .Select(row => new DeliveryRequest(
                ConversationKey.Create(row.GetString("ChannelId"), row.GetString("TenantId"), row.GetString("ConversationId")),
                row.GetDateTimeOffset("PlannedAt") ?? default) { MarkerETag = row.ETag })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The ETag of the subscription's marker as it is now, or null when it has none.</summary>
    public async Task<ETag?> GetETagAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var marker = await storage.Deliveries.GetEntityIfExistsAsync<TableEntity>(Partition, key.PartitionKey, select: [nameof(ITableEntity.PartitionKey)], cancellationToken: cancellationToken).ConfigureAwait(false);
        return marker.HasValue ? marker.Value!.ETag : null;
    }

    /// <summary>Removes a marker read (its <paramref name="etag"/>) before the sender's last look at the Pending rows,
    /// unless it changed since.</summary>
    public async Task TryClearAsync(ConversationKey key, ETag etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            await storage.Deliveries.DeleteEntityAsync(Partition, key.PartitionKey, etag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException exception) when (exception.Status is 412 or 404)
        {
            // A planner marked the subscription again (new rows to send), or another sender cleared it: keep what is there.
        }
    }

    private static TableEntity Marker(ConversationKey key, DateTimeOffset plannedAt) => new(Partition, key.PartitionKey)
    {
        ["ChannelId"] = key.ChannelId,
        ["TenantId"] = key.TenantId,
        ["ConversationId"] = key.ConversationId,
        ["PlannedAt"] = plannedAt,
    };
}

/// <summary>A marker a planner wrote: its ETag, and whether the planner created it (none was there).</summary>
public sealed record MarkerWrite(ETag ETag, bool Created);
