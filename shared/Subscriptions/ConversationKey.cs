using System.Buffers;
using System.Buffers.Text;
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
        PartitionKey = HashKey($"{channelId}\n{tenantId}\n{conversationId}");
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

    /// <summary>A storage key for the text: base64url without padding of the SHA-256 of its UTF-8 bytes. Every request
    /// computes one, so without copies. Stored rows are found by these keys: the definition must never change.</summary>
    internal static string HashKey(string text)
    {
        const int StackLimit = 1024;
        var length = Encoding.UTF8.GetByteCount(text);
        var rented = length > StackLimit ? ArrayPool<byte>.Shared.Rent(length) : null;
        try
        {
            var utf8 = rented is null ? stackalloc byte[length] : rented.AsSpan(0, length);
            Encoding.UTF8.GetBytes(text, utf8);
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(utf8, digest);
            return Base64Url.EncodeToString(digest);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
