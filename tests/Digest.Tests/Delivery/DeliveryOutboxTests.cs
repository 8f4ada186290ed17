using System.Security.Cryptography;
using System.Text;
using CsCheck;
using Digest.Delivery;
using Digest.Subscriptions;
using Shouldly;

namespace Digest.Tests.Delivery;

/// <summary>The outbox's partition is where a subscription's receipts are stored: it must never change for the same ids.</summary>
public sealed class DeliveryOutboxTests
{
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
}
