using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Digest.Platforms.Teams;
using Digest.Platforms.Teams.Schema;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Shouldly;

namespace Digest.Tests.Bot;

public sealed class SubscriptionStoreTests(AzuriteFixture azurite)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private SubscriptionStore Store(int maxRules = 50) =>
        new(azurite.NewStorage(), Options.Create(new SubscriptionStoreOptions { MaxRulesPerConversation = maxRules }), TimeProvider.System);

    private static ConversationReference Reference(ConversationKey key) => new()
    {
        ChannelId = key.ChannelId,
        ServiceUrl = "https://smba.trafficmanager.net/amer/",
        Conversation = new ConversationAccount { Id = key.ConversationId, TenantId = key.TenantId, ConversationType = "channel" },
    };

    // A store on a fresh prefix whose table requests are counted.
    private (SubscriptionStore Store, StorageRequestCounter Counter) CountedStore(TimeProvider time)
    {
        var counter = new StorageRequestCounter();
        var clientOptions = new TableClientOptions();
        clientOptions.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        var shared = azurite.NewStorage();
        var storage = new DigestStorage(azurite.BlobService, new TableServiceClient(azurite.ConnectionString, clientOptions), new QueueServiceClient(azurite.ConnectionString), Options.Create(new StorageOptions { ConnectionString = azurite.ConnectionString, NamePrefix = shared.Rules.Name[..^"rules".Length] }));
        return (new SubscriptionStore(storage, Options.Create(new SubscriptionStoreOptions()), time), counter);
    }

    // A conversation on a fresh counted store whose clock the test moves: its address, and another it could move to.
    private (FakeTimeProvider Time, SubscriptionStore Store, StorageRequestCounter Counter, ConversationKey Key, ConversationAddress Address, ConversationAddress Moved) Contact(string conversationId)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        var (store, counter) = CountedStore(time);
        var key = ConversationKey.Create("msteams", "tenant-a", conversationId);
        return (time, store, counter, key, TeamsAddress.From(Reference(key)), TeamsAddress.From(Reference(key) with { ServiceUrl = "https://smba.trafficmanager.net/emea/" }));
    }

    [Fact]
    public async Task RecordContactAsync_SameAddressWithinTheRefreshInterval_WritesNothing()
    {
        var (time, store, counter, key, address, _) = Contact("19:busy-conversation");
        var recorded = await store.RecordContactAsync(key, address, Cancel);

        time.Advance(SubscriptionStore.ContactRefreshInterval - TimeSpan.FromMinutes(1));
        var before = counter.Current;
        var again = await store.RecordContactAsync(key, address, Cancel);

        (counter.Current - before).Writes.ShouldBe(0);
        again.VerifiedAt.ShouldBe(recorded.VerifiedAt);
        again.Version.ShouldBe(recorded.Version);
    }

    [Fact]
    public async Task RecordedRecently_ContactThisStoreRecorded_TrueForThatAddressUntilTheWindowPassesOrItIsDeactivated()
    {
        var (time, store, _, key, address, moved) = Contact("19:remembered-conversation");
        store.RecordedRecently(key, address).ShouldBeFalse();

        await store.RecordContactAsync(key, address, Cancel);

        store.RecordedRecently(key, address).ShouldBeTrue();
        store.RecordedRecently(key, moved).ShouldBeFalse();
        time.Advance(2 * SubscriptionStore.ContactMemoryWindow);
        store.RecordedRecently(key, address).ShouldBeFalse();

        await store.RecordContactAsync(key, address, Cancel);
        await store.UpdateAsync(key, null, current => current with { Installed = false }, Cancel);
        store.RecordedRecently(key, address).ShouldBeFalse("a deactivated subscription's next contact must install it again");
    }

    [Fact]
    public async Task RecordContactAsync_AddressMovedOrIntervalPassedOrUninstalled_WritesTheContact()
    {
        var (time, store, counter, key, address, moved) = Contact("19:moving-conversation");
        await store.RecordContactAsync(key, address, Cancel);

        var before = counter.Current;
        (await store.RecordContactAsync(key, moved, Cancel)).Address.ShouldBe(moved);
        (counter.Current - before).Writes.ShouldBe(1);

        time.Advance(SubscriptionStore.ContactRefreshInterval);
        before = counter.Current;
        (await store.RecordContactAsync(key, moved, Cancel)).VerifiedAt.ShouldBe(time.GetUtcNow());
        (counter.Current - before).Writes.ShouldBe(1);

        await store.UpdateAsync(key, null, current => current with { Installed = false }, Cancel);
        (await store.RecordContactAsync(key, moved, Cancel)).Installed.ShouldBeTrue();
        (await store.GetAsync(key, Cancel))!.Installed.ShouldBeTrue();
    }

    [Fact]
    public async Task ListRulesOfAsync_ManyConversations_ReadsEachItsOwnRulesInOneQuery()
    {
        var (store, counter) = CountedStore(TimeProvider.System);
        var keys = Enumerable.Range(0, 40).Select(i => ConversationKey.Create("msteams", "tenant-a", $"19:conversation-{i}")).ToList();
        foreach (var (key, i) in keys.Select((key, i) => (key, i)))
        {
            for (var rule = 0; rule <= i % 3; rule++)
            {
                await store.AddRuleAsync(key, $"rule{i}x{rule}", Cancel);
            }
        }

        var before = counter.Current;
        var rules = await store.ListRulesOfAsync(keys.Take(30), Cancel);

        (counter.Current - before).Total.ShouldBe(1);
        rules.Count.ShouldBe(30);
        foreach (var (key, i) in keys.Take(30).Select((key, i) => (key, i)))
        {
            rules[key].Select(rule => (rule.Number, rule.Text)).ShouldBe(Enumerable.Range(0, (i % 3) + 1).Select(rule => (rule + 1, $"rule{i}x{rule}")));
        }
    }

    [Theory]
    [InlineData("19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2;messageid=1481567603816")]
    [InlineData("a:1/with\\slashes#and?query\u0001control")]
    [InlineData("' or PartitionKey ne '")]
    public async Task Keys_AwkwardConversationIds_RoundTripAndStayApart(string conversationId)
    {
        var store = Store();
        var key = ConversationKey.Create("msteams", "tenant-a", conversationId);
        var other = ConversationKey.Create("msteams", "tenant-a", conversationId + "x");

        await store.RecordContactAsync(key, TeamsAddress.From(Reference(key)), Cancel);
        await store.AddRuleAsync(key, "agents", Cancel);
        await store.RecordContactAsync(other, TeamsAddress.From(Reference(other)), Cancel);

        key.PartitionKey.ShouldMatch("^[A-Za-z0-9_-]{43}$");
        (await store.GetAsync(key, Cancel))!.TeamsReference().Conversation.Id.ShouldBe(conversationId);
        (await store.ListRulesAsync(key, Cancel)).Count.ShouldBe(1);
        (await store.ListRulesAsync(other, Cancel)).ShouldBeEmpty();
    }

    [Fact]
    public async Task ListActive_OnlyInstalledSubscribedUnpaused()
    {
        var store = Store();
        var keys = Enumerable.Range(0, 4).Select(i => ConversationKey.Create("msteams", "t", $"a:{i}")).ToArray();
        foreach (var key in keys)
        {
            await store.RecordContactAsync(key, TeamsAddress.From(Reference(key)), Cancel);
        }

        await store.UpdateAsync(keys[0], null, s => s with { Subscribed = true }, Cancel);
        await store.UpdateAsync(keys[1], null, s => s with { Subscribed = true, Paused = true }, Cancel);
        await store.UpdateAsync(keys[2], null, s => s with { Subscribed = true, Installed = false }, Cancel);

        var active = new List<Subscription>();
        await foreach (var subscription in store.ListActiveAsync(Cancel))
        {
            active.Add(subscription);
        }

        active.Select(s => s.Key.ConversationId).ShouldBe(["a:0"]);
    }

    [Fact]
    public async Task AddRule_BeyondLimit_Refused()
    {
        var store = Store(maxRules: 2);
        var key = ConversationKey.Create("msteams", "t", "a:1");

        (await store.AddRuleAsync(key, "one", Cancel)).ShouldNotBeNull();
        (await store.AddRuleAsync(key, "two", Cancel))!.Number.ShouldBe(2);
        (await store.AddRuleAsync(key, "three", Cancel)).ShouldBeNull();
    }

    [Fact]
    public async Task ImportRulesAsync_NewConversation_RulesListedInTheirOrder()
    {
        var store = Store(maxRules: 3);
        var key = ConversationKey.Create("msteams", "t", "a:" + Guid.NewGuid().ToString("N"));

        await store.ImportRulesAsync(key, ["one", "two", "three"], Cancel);

        (await store.ListRulesAsync(key, Cancel)).Select(rule => (rule.Number, rule.Text)).ShouldBe([(1, "one"), (2, "two"), (3, "three")]);
        await Should.ThrowAsync<ArgumentException>(() => store.ImportRulesAsync(key, ["a", "b", "c", "d"], Cancel));
    }

    [Fact]
    public async Task Update_ConcurrentChanges_NoneLost()
    {
        var store = Store();
        var key = ConversationKey.Create("msteams", "t", "a:1");
        await store.RecordContactAsync(key, TeamsAddress.From(Reference(key)), Cancel);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => store.UpdateAsync(key, null, s => s with { FeedbackCount = s.FeedbackCount + 1 }, Cancel)));

        (await store.GetAsync(key, Cancel))!.FeedbackCount.ShouldBe(4);
    }
}
