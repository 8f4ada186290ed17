using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using CsCheck;
using Digest.Delivery;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Tests.Infrastructure;
using Shouldly;

namespace Digest.Tests.Delivery;

/// <summary>The outbox's partition is where a subscription's receipts are stored: it must never change for the same ids.
/// A message sent is one <see cref="SentMessage"/>: the rows it carried read as Sent, as stored they are not written.</summary>
public sealed class DeliveryOutboxTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    // The partition as it was first defined and stored: base64url, no padding, of SHA-256 over "channel\ntenant".
    private static string StoredPartition(string channel, string tenant) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes($"{channel}\n{tenant}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [Fact]
    public void PartitionOf_KnownIds_IsTheStoredPartition()
    {
        DeliveryOutbox.PartitionOf(ConversationKey.Create("msteams", "72f988bf-86f1-41af-91ab-2d7cd011db47", "a:1x2y3z"))
            .ShouldBe(StoredPartition("msteams", "72f988bf-86f1-41af-91ab-2d7cd011db47"));
        DeliveryOutbox.PartitionOf(ConversationKey.Create("slack", null, "T0001:C0002")).ShouldBe(StoredPartition("slack", ""));
    }

    [Fact]
    public void PartitionOf_AnyIds_IsTheStoredPartition()
    {
        var id = Gen.OneOf(Gen.String[1, 40], Gen.String[Gen.Char["aé中😀:/+=\\"], 300, 600]).Where(text => !string.IsNullOrWhiteSpace(text));
        Gen.Select(id, Gen.String[0, 40], id).Sample((channel, tenant, conversation) =>
            DeliveryOutbox.PartitionOf(ConversationKey.Create(channel, tenant, conversation)) == StoredPartition(channel, tenant));
    }

    [Fact]
    public async Task MarkSentAsync_TwoOfThreeRows_ListsThemSentWithTheMessageAndLeavesTheStoredRowsUnwritten()
    {
        var (storage, outbox) = await NewOutboxAsync();
        var key = NewKey("tenant-a");
        var rows = await PlanAsync(outbox, key, "2611.00001", "2611.00002", "2611.00003");
        var sentAt = Now.AddMinutes(5);

        await outbox.MarkSentAsync([rows[0], rows[1]], "activity-1", sentAt, Cancel);

        rows[0].State.ShouldBe(DeliveryState.Sent);
        var listed = (await outbox.ListAsync(key, Cancel)).ToDictionary(row => row.PaperId);
        listed["2611.00001"].State.ShouldBe(DeliveryState.Sent);
        listed["2611.00001"].ActivityId.ShouldBe("activity-1");
        listed["2611.00001"].SentAt.ShouldBe(sentAt);
        listed["2611.00002"].State.ShouldBe(DeliveryState.Sent);
        listed["2611.00003"].State.ShouldBe(DeliveryState.Pending);
        (await outbox.ListPendingAsync(key, Cancel)).Select(row => row.PaperId).ShouldBe(["2611.00003"]);
        var stored = await storage.Deliveries.QueryAsync<DeliveryRow>(TableClient.CreateQueryFilter($"Conversation eq {key.PartitionKey}"), cancellationToken: Cancel).ToListAsync(Cancel);
        stored.ShouldAllBe(row => row.State == DeliveryState.Pending && row.SentAt == null);
        var message = (await storage.SentMessages.QueryAsync<SentMessage>(cancellationToken: Cancel).ToListAsync(Cancel)).ShouldHaveSingleItem();
        message.PartitionKey.ShouldBe(key.PartitionKey);
        message.Papers.ShouldBe("2611.00001\n2611.00002");
    }

    [Fact]
    public async Task ListEveryAsync_OnePaperSentToOneOfTwoSubscriptions_ShowsItSentOnlyForThatOne()
    {
        var (_, outbox) = await NewOutboxAsync();
        var (sent, waiting) = (NewKey("tenant-a"), NewKey("tenant-b"));
        var sentRows = await PlanAsync(outbox, sent, "2611.00001");
        await PlanAsync(outbox, waiting, "2611.00001");

        await outbox.MarkSentAsync(sentRows, "activity-1", Now, Cancel);

        var every = await outbox.ListEveryAsync(Cancel);
        every.Single(row => row.Conversation == sent.PartitionKey).State.ShouldBe(DeliveryState.Sent);
        every.Single(row => row.Conversation == waiting.PartitionKey).State.ShouldBe(DeliveryState.Pending);
    }

    [Fact]
    public async Task ListHeldAsync_HeldRowSentByShowMore_IsNoLongerHeld()
    {
        var (_, outbox) = await NewOutboxAsync();
        var key = NewKey("tenant-a");
        var rows = await PlanAsync(outbox, key, "2611.00001", "2611.00002");
        await outbox.HoldAsync(rows, "chain", batchSize: 1, Cancel);

        await outbox.MarkSentAsync([rows[0]], "activity-1", Now, Cancel);

        (await outbox.ListHeldAsync(key, Cancel)).Select(row => row.PaperId).ShouldBe(["2611.00002"]);
    }

    [Fact]
    public async Task RecordFeedbackAsync_PaperSentByAMessage_IsRecordedAndAPendingOneIsNot()
    {
        var (_, outbox) = await NewOutboxAsync();
        var key = NewKey("tenant-a");
        var rows = await PlanAsync(outbox, key, "2611.00001", "2611.00002");
        await outbox.MarkSentAsync([rows[0]], "activity-1", Now, Cancel);

        (await outbox.RecordFeedbackAsync(key, "2611.00001", PaperFeedback.Liked, Now, Cancel)).ShouldBe(FeedbackRecorded.Recorded);
        (await outbox.RecordFeedbackAsync(key, "2611.00002", PaperFeedback.Liked, Now, Cancel)).ShouldBe(FeedbackRecorded.NotDelivered);
        (await outbox.ListAsync(key, Cancel)).Single(row => row.PaperId == "2611.00001").Feedback.ShouldBe(nameof(PaperFeedback.Liked));
    }

    [Fact]
    public void Resolve_PaperCarriedTwice_TakesTheFirstMessage()
    {
        var key = NewKey("tenant-a");
        var row = new DeliveryRow { Conversation = key.PartitionKey, PaperId = "2611.00001", State = DeliveryState.Pending };
        var first = SentMessage.For([row.Copy()], "first", Now);
        var again = SentMessage.For([row.Copy()], "again", Now.AddHours(1));

        SentMessage.Resolve([row], [again, first]);

        row.State.ShouldBe(DeliveryState.Sent);
        row.ActivityId.ShouldBe("first");
    }

    [Fact]
    public void Resolve_FailedRow_StaysFailed()
    {
        var key = NewKey("tenant-a");
        var row = new DeliveryRow { Conversation = key.PartitionKey, PaperId = "2611.00001", State = DeliveryState.Failed };

        SentMessage.Resolve([row], [SentMessage.For([row.Copy()], "a", Now)]);

        row.State.ShouldBe(DeliveryState.Failed);
    }

    [Fact]
    public void For_RowsOfTwoConversations_Throws()
    {
        DeliveryRow[] rows = [new() { Conversation = NewKey("t").PartitionKey, PaperId = "1" }, new() { Conversation = NewKey("t").PartitionKey, PaperId = "2" }];

        Should.Throw<ArgumentException>(() => SentMessage.For(rows, "a", Now));
    }

    private async Task<(DigestStorage Storage, DeliveryOutbox Outbox)> NewOutboxAsync()
    {
        var storage = azurite.NewStorage();
        await storage.EnsureCreatedAsync(Cancel);
        return (storage, new DeliveryOutbox(storage));
    }

    private static ConversationKey NewKey(string tenant) => ConversationKey.Create("msteams", tenant, "a:" + Guid.NewGuid().ToString("N"));

    private static async Task<List<DeliveryRow>> PlanAsync(DeliveryOutbox outbox, ConversationKey key, params string[] paperIds)
    {
        var rows = new List<DeliveryRow>();
        foreach (var paperId in paperIds)
        {
            rows.Add((await outbox.TryPlanAsync(key, paperId, ["agents"], Now, Cancel))!);
        }

        return rows;
    }
}
