using System.Security.Cryptography;
using System.Text;
using CsCheck;
using Digest.Subscriptions;
using Shouldly;

namespace Digest.Tests.Subscriptions;

/// <summary>The conversation key is every stored row's partition: it must never change for the same ids.</summary>
public sealed class ConversationKeyTests
{
    // The key as it was first defined and stored: base64url, no padding, of SHA-256 over "channel\ntenant\nconversation".
    private static string StoredKey(string channel, string tenant, string conversation) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes($"{channel}\n{tenant}\n{conversation}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [Fact]
    public void PartitionKey_KnownIds_IsTheStoredKey()
    {
        ConversationKey.Create("msteams", "72f988bf-86f1-41af-91ab-2d7cd011db47", "a:1x2y3z").PartitionKey
            .ShouldBe(StoredKey("msteams", "72f988bf-86f1-41af-91ab-2d7cd011db47", "a:1x2y3z"));
        ConversationKey.Create("slack", null, "T0001:C0002").PartitionKey.ShouldBe(StoredKey("slack", "", "T0001:C0002"));
    }

    [Fact]
    public void PartitionKey_AnyIds_IsTheStoredKey()
    {
        // Non-ASCII and ids longer than the stack buffer (1,024 UTF-8 bytes) included.
        var id = Gen.OneOf(Gen.String[1, 40], Gen.String[Gen.Char["aé中😀:/+=\\"], 300, 600]).Where(text => !string.IsNullOrWhiteSpace(text));
        Gen.Select(id, Gen.String[0, 40], id).Sample((channel, tenant, conversation) =>
            ConversationKey.Create(channel, tenant, conversation).PartitionKey == StoredKey(channel, tenant, conversation));
    }
}
