using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Delivery;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Shouldly;

namespace Digest.Tests.Storage;

/// <summary>The one initializer of every table and container: created once per process, shared by concurrent callers,
/// and never a cached failure.</summary>
public sealed class StorageInitializationTests(AzuriteFixture azurite)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EnsureCreatedAsync_StorageUnreachableAtFirstCall_FailsThenCreatesEverythingOnceStorageIsThere()
    {
        await using var blobPort = LoopbackRelay.To(azurite.BlobService.Uri);
        await using var tablePort = LoopbackRelay.To(azurite.TableService.Uri);
        await using var queuePort = LoopbackRelay.To(QueueServiceUri);
        var counter = new StorageRequestCounter();
        var prefix = AzuriteFixture.UniqueName("i")[..13];
        var storage = Storage(RelayedConnectionString(blobPort, tablePort, queuePort), counter, prefix);

        // Nothing listens yet: the caller gets the storage exception (the command line reports it as "unreachable").
        var failure = await Should.ThrowAsync<RequestFailedException>(() => storage.EnsureCreatedAsync(Cancel));
        failure.Status.ShouldBe(0);

        blobPort.Open();
        tablePort.Open();
        queuePort.Open();
        var before = counter.Current;
        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => storage.EnsureCreatedAsync(Cancel)));

        // One attempt for the five callers: one query for the tables, one existence check for the container, one listing
        // of the queues, then a create for each of the fourteen tables, the container and the two queues.
        (counter.Current - before).ShouldBe(new StorageTransactions(Reads: 3, Writes: 17));
        string[] tables = ["changes", "deliveries", "pages", "papers", "pendingdeliveries", "rules", "sentmessages", "slackevents", "slackinstallations", "slackmanagers", "snapshots", "stepruns", "subscriptions", "watermarks"];
        (await TablesNamedAsync(prefix)).ShouldBe(tables.Select(table => prefix + table));
        (await azurite.BlobService.GetBlobContainerClient(prefix + "snapshots").ExistsAsync(Cancel)).Value.ShouldBeTrue();
        var queues = await new QueueServiceClient(azurite.ConnectionString).GetQueuesAsync(prefix: prefix, cancellationToken: Cancel).Select(queue => queue.Name).ToListAsync(Cancel);
        queues.Order(StringComparer.Ordinal).ShouldBe([prefix + "deliveries", prefix + "deliveries-poison"]);

        var afterCreation = counter.Current;
        await storage.EnsureCreatedAsync(Cancel);
        (counter.Current - afterCreation).ShouldBe(new StorageTransactions(0, 0));
    }

    [Fact(Timeout = 120_000)]
    [Trait("Category", "Slow")]
    public async Task StartAsync_BotWhileStorageUnreachable_StartsAndSubscribesOnceStorageIsThere()
    {
        await using var blobPort = LoopbackRelay.To(azurite.BlobService.Uri);
        await using var tablePort = LoopbackRelay.To(azurite.TableService.Uri);
        await using var queuePort = LoopbackRelay.To(QueueServiceUri);
        await using var identity = await TestIdentityProvider.StartAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), Cancel);
        await using var connector = await LoopbackConnector.StartAsync(Cancel);
        await using var bot = await BotTestHost.StartAsync(BotTestHost.Configuration(identity, connector, RelayedConnectionString(blobPort, tablePort, queuePort)), Cancel);

        blobPort.Open();
        tablePort.Open();
        queuePort.Open();
        var conversation = TestActivities.PersonalConversationId();
        using var response = await bot.PostAsync(
            TestActivities.Message(identity.AppId, connector.ServiceUrl, conversation, "subscribe").ToJsonString(), identity.ChannelToken(connector.ServiceUrl), Cancel);
        await connector.NextAsync(Cancel);

        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        var key = ConversationKey.Create("msteams", TestActivities.TenantId, conversation);
        (await bot.Services.GetRequiredService<SubscriptionStore>().GetAsync(key, Cancel))!.Subscribed.ShouldBeTrue();
    }

    [Fact]
    public async Task RunAsync_NotifierRunAfterTheFirst_CreatesNoTables()
    {
        var morning = new DateTimeOffset(2026, 6, 12, 10, 0, 0, TimeSpan.Zero);
        await using var harness = await DeliveryHarness.StartAsync(azurite, morning, Cancel);
        await harness.SeedPapersAsync(morning.AddMinutes(-10), Cancel);
        await harness.SubscribeAsync("a:" + Guid.NewGuid().ToString("N"), new DeliveryMode(DeliveryCadence.Daily, new TimeOnly(18, 0), "UTC"), Cancel, "agent*");
        await harness.Notifier.RunAsync(Cancel);
        var counter = harness.Services.GetRequiredService<StorageRequestCounter>();
        harness.Time.Advance(TimeSpan.FromMinutes(15));
        var before = counter.Current;

        var report = await harness.Notifier.RunAsync(Cancel);

        // The daily subscription is not due before 18:00: the run reads the active subscriptions, their watermarks and
        // the index of subscriptions with papers still pending, and nothing else.
        report.Subscriptions.ShouldBeEmpty();
        (counter.Current - before).ShouldBe(new StorageTransactions(Reads: 3, Writes: 0));
    }

    private static DigestStorage Storage(string connectionString, StorageRequestCounter counter, string prefix)
    {
        // No retries: the first call should fail at once rather than after the SDK's back-off.
        var blobOptions = new BlobClientOptions { Retry = { MaxRetries = 0 } };
        blobOptions.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        var tableOptions = new TableClientOptions { Retry = { MaxRetries = 0 } };
        tableOptions.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        var queueOptions = new QueueClientOptions { Retry = { MaxRetries = 0 } };
        queueOptions.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        return new DigestStorage(
            new BlobServiceClient(connectionString, blobOptions),
            new TableServiceClient(connectionString, tableOptions),
            new QueueServiceClient(connectionString, queueOptions),
            Options.Create(new StorageOptions { ConnectionString = connectionString, NamePrefix = prefix }));
    }

    private Uri QueueServiceUri => new QueueServiceClient(azurite.ConnectionString).Uri;

    // The fixture's account with its blob, table and queue endpoints moved to the relays' ports.
    private string RelayedConnectionString(LoopbackRelay blobs, LoopbackRelay tables, LoopbackRelay queues)
    {
        var settings = azurite.ConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(setting => setting.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.OrdinalIgnoreCase);
        settings["BlobEndpoint"] = blobs.Through(azurite.BlobService.Uri).ToString();
        settings["TableEndpoint"] = tables.Through(azurite.TableService.Uri).ToString();
        settings["QueueEndpoint"] = queues.Through(QueueServiceUri).ToString();
        return string.Join(';', settings.Select(setting => $"{setting.Key}={setting.Value}"));
    }

    private async Task<List<string>> TablesNamedAsync(string prefix)
    {
        var filter = TableClient.CreateQueryFilter($"TableName ge {prefix} and TableName lt {prefix + "~"}");
        var names = await azurite.TableService.QueryAsync(filter, cancellationToken: Cancel).Select(table => table.Name).ToListAsync(Cancel);
        return [.. names.Order(StringComparer.Ordinal)];
    }
}
