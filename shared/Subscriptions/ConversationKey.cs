using System.Security.Cryptography;
using System.Text;

namespace Digest.Subscriptions;

/// <summary>Identifies one conversation's subscription. Built only from a verified activity (channel, tenant and
/// conversation id as the channel sent them), never from what a user typed. Table keys cannot hold <c>/ \ # ?</c>
/// and control characters and Teams ids are long, so the key is a SHA-256 (base64url) of the three parts; the
/// originals are stored beside it and compared on every read.</summary>
public sealed record ConversationKey
{
    private ConversationKey(string channelId, string tenantId, string conversationId)
    {
        ChannelId = channelId;
        TenantId = tenantId;
        ConversationId = conversationId;
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{channelId}\n{tenantId}\n{conversationId}"));
        PartitionKey = Convert.ToBase64String(digest).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public string ChannelId { get; }

    /// <summary>The Entra tenant; empty for channels without tenants.</summary>
    public string TenantId { get; }

    public string ConversationId { get; }

    /// <summary>The table key of this conversation's rows.</summary>
    public string PartitionKey { get; }

    public static ConversationKey Create(string channelId, string? tenantId, string conversationId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(channelId);
        ArgumentException.ThrowIfNullOrWhiteSpace(conversationId);
        return new ConversationKey(channelId, tenantId ?? "", conversationId);
    }

    public override string ToString() => $"{ChannelId}/{TenantId}/{ConversationId}";
}
