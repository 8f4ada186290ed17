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

    /// <summary>Marks subscriptions as having Pending rows, in batches of 100.</summary>
    public async Task MarkAsync(IEnumerable<ConversationKey> keys, DateTimeOffset plannedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var batch in keys.DistinctBy(key => key.PartitionKey).Chunk(MaxBatch))
        {
            await storage.Deliveries.SubmitTransactionAsync(
                batch.Select(key => new TableTransactionAction(TableTransactionActionType.UpsertReplace, Marker(key, plannedAt))),
                cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Every marked subscription, with when it was marked.</summary>
    public async Task<IReadOnlyList<DeliveryRequest>> ListAsync(CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition}");
        return await storage.Deliveries.QueryAsync<TableEntity>(filter, maxPerPage: 1000, cancellationToken: cancellationToken)
            .Select(row => new DeliveryRequest(
                ConversationKey.Create(row.GetString("ChannelId"), row.GetString("TenantId"), row.GetString("ConversationId")),
                row.GetDateTimeOffset("PlannedAt") ?? default))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The subscription's marker as it is now (its ETag), or null.</summary>
    public async Task<TableEntity?> GetAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var marker = await storage.Deliveries.GetEntityIfExistsAsync<TableEntity>(Partition, key.PartitionKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return marker.HasValue ? marker.Value : null;
    }

    /// <summary>Removes a marker read before the sender's last look at the Pending rows, unless it changed since.</summary>
    public async Task TryClearAsync(TableEntity marker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(marker);
        try
        {
            await storage.Deliveries.DeleteEntityAsync(marker.PartitionKey, marker.RowKey, marker.ETag, cancellationToken).ConfigureAwait(false);
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
