using Azure;
using Azure.Data.Tables;
using Digest.Storage;
using Digest.Subscriptions;

namespace Digest.Delivery;

/// <summary>
/// The index of subscriptions that have Pending rows, and the lock of the one sender that sends them: one marker row per
/// subscription (<see cref="DigestStorage.PendingDeliveries"/>), so that the planner finds every subscription with papers still to send in a single query, without a query
/// per subscription or a scan of every receipt.
/// </summary>
/// <remarks>
/// <para>Planners add markers before they insert rows and mark them again after; a sender removes its subscription's
/// marker once it sent everything Pending, and only if no planner touched the marker meanwhile (its ETag). Planners
/// merge, so they never remove a sender's lease.</para>
/// <para>A sender sends only while it holds the marker's lease (<see cref="TryLeaseAsync"/>): two senders of one
/// subscription (a queue message handled twice, the <c>digest</c> command while a run sends) never both send a row, and
/// the rows need no claim of their own, which would cost a write per paper. A lease older than
/// <see cref="DeliveryOptions.PendingLease"/> is taken to be a sender's that died, and is taken over.</para>
/// </remarks>
public sealed class PendingDeliveries(DigestStorage storage)
{
    // Markers once lived in this partition of the deliveries table; a run moves any left there (MoveLegacyMarkersAsync).
    private const string LegacyPartition = "~pending";
    private const string LeaseId = "LeaseId";
    private const string LeasedAt = "LeasedAt";

    // Set once the legacy partition was found empty: from then on nobody writes there.
    private volatile bool _noLegacyMarkers;

    /// <summary>Marks subscriptions as having Pending rows, in transactions of 100 a partition; returns each marker's new ETag.</summary>
    public async Task<Dictionary<ConversationKey, ETag>> MarkAsync(IEnumerable<ConversationKey> keys, DateTimeOffset plannedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var written = new Dictionary<ConversationKey, ETag>();
        foreach (var batch in SubscriptionSpread.Batches(keys))
        {
            var response = await storage.PendingDeliveries.SubmitTransactionAsync(
                batch.Select(key => new TableTransactionAction(TableTransactionActionType.UpsertMerge, Marker(key, plannedAt))),
                cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < batch.Length; i++)
            {
                written[batch[i]] = response.Value[i].Headers.ETag ?? default;
            }
        }

        return written;
    }

    /// <summary>Marks the subscriptions a planner is about to plan rows for, before it inserts them: a subscription in
    /// <paramref name="marked"/> (its marker read before) gets its marker merged, any other a new one, inserted only if
    /// none is there. Returns each marker's ETag and whether this call created it. A marker created here means the
    /// subscription had no Pending rows: every row is inserted after its subscription is marked, and a marker is removed
    /// only by a sender that saw every Pending row sent.</summary>
    public async Task<Dictionary<ConversationKey, MarkerWrite>> MarkPlannedAsync(IEnumerable<ConversationKey> keys, IReadOnlySet<ConversationKey> marked, DateTimeOffset plannedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(marked);
        var written = new Dictionary<ConversationKey, MarkerWrite>();
        foreach (var batch in SubscriptionSpread.Batches(keys))
        {
            try
            {
                var response = await storage.PendingDeliveries.SubmitTransactionAsync(
                    batch.Select(key => new TableTransactionAction(marked.Contains(key) ? TableTransactionActionType.UpsertMerge : TableTransactionActionType.Add, Marker(key, plannedAt))),
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

    /// <summary>Marks the subscriptions again once their rows are inserted, so that a sender that read a marker before
    /// cannot remove it. A marker <see cref="MarkPlannedAsync"/> created is written only if nothing touched it since
    /// (conditional on its ETag), and is then still <see cref="MarkerWrite.Created"/>: no sender has leased it, and the
    /// rows this planner inserted are all there is to send. With <paramref name="leaseCreated"/>, that same write takes
    /// the sending lease for a sender of this process (<see cref="MarkerWrite.Lease"/>, taken at
    /// <paramref name="plannedAt"/>), which then sends those rows without a storage request of its own for the lease.
    /// Any other marker is merged, and is not created.</summary>
    public async Task<Dictionary<ConversationKey, MarkerWrite>> MarkAgainAsync(IReadOnlyDictionary<ConversationKey, MarkerWrite> before, DateTimeOffset plannedAt, bool leaseCreated, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(before);
        var written = new Dictionary<ConversationKey, MarkerWrite>();
        foreach (var (key, etag) in await MarkAsync(before.Where(marker => !marker.Value.Created).Select(marker => marker.Key), plannedAt, cancellationToken).ConfigureAwait(false))
        {
            written[key] = new MarkerWrite(etag, Created: false);
        }

        var created = before.Where(marker => marker.Value.Created).Select(marker => marker.Key);
        foreach (var batch in SubscriptionSpread.Batches(created))
        {
            var markers = batch.Select(key => LeasedMarker(key, plannedAt, leaseCreated)).ToArray();
            try
            {
                var response = await storage.PendingDeliveries.SubmitTransactionAsync(
                    markers.Select(marker => new TableTransactionAction(TableTransactionActionType.UpdateMerge, marker.Entity, before[marker.Key].ETag)),
                    cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < batch.Length; i++)
                {
                    written[batch[i]] = Created(markers[i], response.Value[i].Headers.ETag ?? default);
                }
            }
            catch (TableTransactionFailedException exception) when (exception.Status is 412 or 404)
            {
                foreach (var marker in markers)
                {
                    written[marker.Key] = await MarkAgainOneAsync(marker, before[marker.Key].ETag, plannedAt, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return written;
    }

    // A created marker as its planner writes it again: marked, and leased when asked.
    private static (ConversationKey Key, TableEntity Entity, string? LeaseId) LeasedMarker(ConversationKey key, DateTimeOffset plannedAt, bool lease)
    {
        var entity = Marker(key, plannedAt);
        var id = lease ? Guid.NewGuid().ToString("N") : null;
        if (id is not null)
        {
            entity[LeaseId] = id;
            entity[LeasedAt] = plannedAt;
        }

        return (key, entity, id);
    }

    private static MarkerWrite Created((ConversationKey Key, TableEntity Entity, string? LeaseId) marker, ETag etag) =>
        new(etag, Created: true) { Lease = marker.LeaseId is { } id ? new MarkerLease(marker.Key, id, etag) : null };

    private async Task<MarkerWrite> MarkAgainOneAsync((ConversationKey Key, TableEntity Entity, string? LeaseId) marker, ETag etag, DateTimeOffset plannedAt, CancellationToken cancellationToken)
    {
        var key = marker.Key;
        try
        {
            var updated = await storage.PendingDeliveries.UpdateEntityAsync(marker.Entity, etag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return Created(marker, updated.Headers.ETag ?? default);
        }
        catch (RequestFailedException exception) when (exception.Status is 412 or 404)
        {
            // A sender leased it (or sent and removed it) meanwhile: marked again, and the sender lists the rows.
            return await MergeAsync(key, plannedAt, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<MarkerWrite> MarkOneAsync(ConversationKey key, bool create, DateTimeOffset plannedAt, CancellationToken cancellationToken)
    {
        if (create)
        {
            try
            {
                var added = await storage.PendingDeliveries.AddEntityAsync(Marker(key, plannedAt), cancellationToken).ConfigureAwait(false);
                return new MarkerWrite(added.Headers.ETag ?? default, Created: true);
            }
            catch (RequestFailedException exception) when (exception.Status == 409)
            {
                // There already: merged below, like a marker read before.
            }
        }

        return await MergeAsync(key, plannedAt, cancellationToken).ConfigureAwait(false);
    }

    // Marks the subscription whatever is there; a lease on the marker survives it.
    private async Task<MarkerWrite> MergeAsync(ConversationKey key, DateTimeOffset plannedAt, CancellationToken cancellationToken)
    {
        var merged = await storage.PendingDeliveries.UpsertEntityAsync(Marker(key, plannedAt), TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        return new MarkerWrite(merged.Headers.ETag ?? default, Created: false);
    }

    private async Task<TableEntity?> ReadAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        var marker = await storage.PendingDeliveries.GetEntityIfExistsAsync<TableEntity>(SubscriptionSpread.PartitionOf(key), key.PartitionKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return marker.HasValue ? marker.Value : null;
    }

    /// <summary>Every marked subscription, with when it was marked.</summary>
    public async Task<IReadOnlyList<DeliveryRequest>> ListAsync(CancellationToken cancellationToken)
    {
        await MoveLegacyMarkersAsync(cancellationToken).ConfigureAwait(false);
        return await storage.PendingDeliveries.QueryAsync<TableEntity>(filter: (string?)null, maxPerPage: 1000, cancellationToken: cancellationToken)
            .Select(row => new DeliveryRequest(KeyOf(row), row.GetDateTimeOffset("PlannedAt") ?? default))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes the subscription's sending lease: none when it has no marker (nothing is Pending), or when another
    /// sender holds a lease younger than <paramref name="leaseLength"/>. A lease with the id <paramref name="ours"/> (one
    /// the planner took for this sender) is not another sender's: it is taken again, fresh.</summary>
    public async Task<LeaseAttempt> TryLeaseAsync(ConversationKey key, string? ours, DateTimeOffset now, TimeSpan leaseLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        while (true)
        {
            if (await ReadAsync(key, cancellationToken).ConfigureAwait(false) is not { } row)
            {
                return LeaseAttempt.NoMarker;
            }

            if (row.GetString(LeaseId) is { Length: > 0 } held && held != ours && row.GetDateTimeOffset(LeasedAt) is { } leasedAt && now - leasedAt < leaseLength)
            {
                return LeaseAttempt.HeldByAnother;
            }

            try
            {
                return new LeaseAttempt(await LeaseAsync(key, row.ETag, now, cancellationToken).ConfigureAwait(false), Held: false);
            }
            catch (RequestFailedException exception) when (exception.Status is 412 or 404)
            {
                // Changed since it was read: read it again.
            }
        }
    }

    private async Task<MarkerLease> LeaseAsync(ConversationKey key, ETag etag, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("N");
        var lease = new TableEntity(SubscriptionSpread.PartitionOf(key), key.PartitionKey) { [LeaseId] = id, [LeasedAt] = now };
        var response = await storage.PendingDeliveries.UpdateEntityAsync(lease, etag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        return new MarkerLease(key, id, response.Headers.ETag ?? default);
    }

    /// <summary>The lease's sender sent every row that was Pending: removes the marker, unless a planner marked the
    /// subscription again meanwhile (new rows), in which case it stays, with the lease given back, for the next sender.</summary>
    public async Task ClearAsync(MarkerLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        try
        {
            await storage.PendingDeliveries.DeleteEntityAsync(SubscriptionSpread.PartitionOf(lease.Key), lease.Key.PartitionKey, lease.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException exception) when (exception.Status is 412 or 404)
        {
            await ReleaseAsync(lease, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gives the lease back, keeping the marker: the next sender need not wait for it to expire. Nothing
    /// happens when another sender took it over (this one outlived its lease) or the marker is gone.</summary>
    public async Task ReleaseAsync(MarkerLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        while (true)
        {
            if (await ReadAsync(lease.Key, cancellationToken).ConfigureAwait(false) is not { } row || row.GetString(LeaseId) != lease.Id)
            {
                return;
            }

            var released = new TableEntity(row.PartitionKey, row.RowKey) { [LeaseId] = "" };
            try
            {
                await storage.PendingDeliveries.UpdateEntityAsync(released, row.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RequestFailedException exception) when (exception.Status is 412 or 404)
            {
                // A planner marked it again meanwhile: read it again.
            }
        }
    }

    // Markers written before they had a table of their own are moved there, so that their subscriptions' Pending rows
    // are still sent. Once none is left this costs one query of an empty partition per process.
    private async Task MoveLegacyMarkersAsync(CancellationToken cancellationToken)
    {
        if (_noLegacyMarkers)
        {
            return;
        }

        var legacy = await storage.Deliveries.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {LegacyPartition}"), maxPerPage: 1000, cancellationToken: cancellationToken)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        if (legacy.Count == 0)
        {
            _noLegacyMarkers = true;
            return;
        }

        foreach (var group in legacy.GroupBy(row => row.GetDateTimeOffset("PlannedAt") ?? default))
        {
            await MarkAsync(group.Select(KeyOf), group.Key, cancellationToken).ConfigureAwait(false);
        }

        foreach (var batch in legacy.Chunk(TableTransactions.MaxOperations))
        {
            await storage.Deliveries.SubmitTransactionAsync(batch.Select(row => new TableTransactionAction(TableTransactionActionType.Delete, row, ETag.All)), cancellationToken).ConfigureAwait(false);
        }
    }

    private static ConversationKey KeyOf(TableEntity row) =>
        ConversationKey.Create(row.GetString("ChannelId"), row.GetString("TenantId"), row.GetString("ConversationId"));

    private static TableEntity Marker(ConversationKey key, DateTimeOffset plannedAt) => new(SubscriptionSpread.PartitionOf(key), key.PartitionKey)
    {
        ["ChannelId"] = key.ChannelId,
        ["TenantId"] = key.TenantId,
        ["ConversationId"] = key.ConversationId,
        ["PlannedAt"] = plannedAt,
    };
}

/// <summary>A marker a planner wrote: its ETag, and whether the planner created it (none was there) and, after
/// <see cref="PendingDeliveries.MarkAgainAsync"/>, still has it untouched, with the lease it took then, if asked to.</summary>
public sealed record MarkerWrite(ETag ETag, bool Created)
{
    public MarkerLease? Lease { get; init; }
}

/// <summary>A sender's lease on a subscription's marker: its id, and the marker's ETag as the lease left it.</summary>
public sealed record MarkerLease(ConversationKey Key, string Id, ETag ETag);

/// <summary>What <see cref="PendingDeliveries.TryLeaseAsync"/> found: the lease taken, no marker (nothing Pending), or a
/// marker another sender holds.</summary>
public sealed record LeaseAttempt(MarkerLease? Lease, bool Held)
{
    public static LeaseAttempt NoMarker { get; } = new(null, Held: false);

    public static LeaseAttempt HeldByAnother { get; } = new(null, Held: true);
}
