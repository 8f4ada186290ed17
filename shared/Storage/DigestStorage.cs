using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace Digest.Storage;

/// <summary>
/// Every table, container and queue of the product (<see cref="StorageNames"/>) under <c>Storage:NamePrefix</c>, and the one
/// initializer that creates them. Clients are thread-safe singletons.
/// </summary>
public sealed class DigestStorage
{
    private readonly TableServiceClient _tableService;
    private readonly QueueServiceClient _queueService;
    private readonly string _queuePrefix;
    private readonly Lock _creationGate = new();
    private Task? _creation;

    public DigestStorage(BlobServiceClient blobs, TableServiceClient tables, QueueServiceClient queues, IOptions<StorageOptions> options)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(options);
        var prefix = options.Value.NamePrefix;
        Snapshots = blobs.GetBlobContainerClient(prefix + StorageNames.SnapshotContainer);
        Pages = tables.GetTableClient(prefix + StorageNames.Pages);
        SnapshotLog = tables.GetTableClient(prefix + StorageNames.SnapshotLog);
        Papers = tables.GetTableClient(prefix + StorageNames.Papers);
        Changes = tables.GetTableClient(prefix + StorageNames.Changes);
        Subscriptions = tables.GetTableClient(prefix + StorageNames.Subscriptions);
        Rules = tables.GetTableClient(prefix + StorageNames.Rules);
        Deliveries = tables.GetTableClient(prefix + StorageNames.Deliveries);
        PendingDeliveries = tables.GetTableClient(prefix + StorageNames.PendingDeliveries);
        SentMessages = tables.GetTableClient(prefix + StorageNames.SentMessages);
        Watermarks = tables.GetTableClient(prefix + StorageNames.Watermarks);
        DeliveryQueue = queues.GetQueueClient(prefix + StorageNames.DeliveryQueue);
        DeliveryPoisonQueue = queues.GetQueueClient(prefix + StorageNames.DeliveryQueue + StorageNames.PoisonSuffix);
        SlackInstallations = tables.GetTableClient(prefix + StorageNames.SlackInstallations);
        SlackEvents = tables.GetTableClient(prefix + StorageNames.SlackEvents);
        SlackManagers = tables.GetTableClient(prefix + StorageNames.SlackManagers);
        StepRuns = tables.GetTableClient(prefix + StorageNames.StepRuns);
        _tableService = tables;
        _queueService = queues;
        _queuePrefix = prefix + StorageNames.DeliveryQueue;
    }

    /// <summary>Raw pages, one immutable gzip blob per distinct content, named by its SHA-256.</summary>
    public BlobContainerClient Snapshots { get; }

    /// <summary>One row per watched page: its last fetch validators, latest snapshot and parsed state.</summary>
    public TableClient Pages { get; }

    /// <summary>One row per stored snapshot (partition = page), with the outcome of parsing it.</summary>
    public TableClient SnapshotLog { get; }

    /// <summary>One row per paper (partition = arXiv year-month), the latest known state.</summary>
    public TableClient Papers { get; }

    /// <summary>The change log (partition = UTC day the change was seen).</summary>
    public TableClient Changes { get; }

    /// <summary>One row per conversation the bot is in (partition = conversation key).</summary>
    public TableClient Subscriptions { get; }

    /// <summary>The alert rules (partition = conversation key).</summary>
    public TableClient Rules { get; }

    /// <summary>The notifier's outbox and receipts: one row per (subscription, paper) ever planned.</summary>
    public TableClient Deliveries { get; }

    /// <summary>One marker per subscription with Pending rows (partition = one of sixteen, by the conversation key; row =
    /// the conversation key), leased by the one sender that sends them.</summary>
    public TableClient PendingDeliveries { get; }

    /// <summary>One row per message sent (partition = the subscription's conversation key): the receipt of the papers it
    /// carried, so that sending marks no row of <see cref="Deliveries"/>.</summary>
    public TableClient SentMessages { get; }

    /// <summary>The notifier's watermark of each subscription (partition = one of sixteen, by the conversation key; row =
    /// the conversation key), so that a run writes them 100 to a transaction.</summary>
    public TableClient Watermarks { get; }

    /// <summary>One message per due subscription to send to (the notifier's plan), read by <c>DeliverToSubscription</c>.</summary>
    public QueueClient DeliveryQueue { get; }

    /// <summary>The messages of <see cref="DeliveryQueue"/> that failed <c>maxDequeueCount</c> times: its dead letters.</summary>
    public QueueClient DeliveryPoisonQueue { get; }

    /// <summary>The Slack app's installations (partition = workspace or Enterprise Grid org), tokens encrypted.</summary>
    public TableClient SlackInstallations { get; }

    /// <summary>The Slack events handled or being handled (partition = <c>event_id</c>).</summary>
    public TableClient SlackEvents { get; }

    /// <summary>The Slack channels each person manages from their App Home (partition = the person's own subscription
    /// key, row = the channel's subscription key).</summary>
    public TableClient SlackManagers { get; }

    /// <summary>The last run of each step (partition <c>step</c>, row = the step's name).</summary>
    public TableClient StepRuns { get; }

    private IEnumerable<TableClient> AllTables => [Pages, SnapshotLog, Papers, Changes, Subscriptions, Rules, Deliveries, PendingDeliveries, SentMessages, Watermarks, SlackInstallations, SlackEvents, SlackManagers, StepRuns];

    /// <summary>
    /// Creates every table, the container and the queues that are missing; once per process. Concurrent callers share one attempt.
    /// When storage cannot be reached the attempt fails with the storage's exception and is forgotten, so the next call
    /// tries again: a process that started before storage was there recovers without a restart.
    /// </summary>
    public Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        Task creation;
        lock (_creationGate)
        {
            if (_creation is null || _creation.IsFaulted || _creation.IsCanceled)
            {
                // Not the caller's token: one caller giving up must not fail the attempt the others wait for.
                _creation = Task.Run(() => CreateMissingAsync(CancellationToken.None), CancellationToken.None);
            }

            creation = _creation;
        }

        return creation.IsCompletedSuccessfully ? Task.CompletedTask : creation.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Creates what is missing. A process that finds everything in place (every <c>digest once</c> after the first)
    /// spends three reads here instead of fifteen create requests that fail with 409 but are billed as writes.
    /// </summary>
    private async Task CreateMissingAsync(CancellationToken cancellationToken)
    {
        var tables = AllTables.ToList();
        var existing = new HashSet<string>(StringComparer.Ordinal);
        var filter = string.Join(" or ", tables.Select(table => TableClient.CreateQueryFilter($"TableName eq {table.Name}")));
        await foreach (var table in _tableService.QueryAsync(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            existing.Add(table.Name);
        }

        var creates = tables.Where(table => !existing.Contains(table.Name)).Select(table => CreateTableAsync(table, cancellationToken)).ToList();
        if (!await Snapshots.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            creates.Add(Snapshots.CreateIfNotExistsAsync(cancellationToken: cancellationToken));
        }

        var queues = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var queue in _queueService.GetQueuesAsync(prefix: _queuePrefix, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            queues.Add(queue.Name);
        }

        creates.AddRange(new[] { DeliveryQueue, DeliveryPoisonQueue }.Where(queue => !queues.Contains(queue.Name))
            .Select(queue => (Task)queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken)));
        await Task.WhenAll(creates).ConfigureAwait(false);
    }

    private static async Task CreateTableAsync(TableClient table, CancellationToken cancellationToken)
    {
        try
        {
            await table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Created by another instance between the check and the create.
        }
    }
}
