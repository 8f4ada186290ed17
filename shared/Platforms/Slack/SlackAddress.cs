using System.Text.Json;
using System.Text.Json.Serialization;
using Digest.Subscriptions;

namespace Digest.Platforms.Slack;

/// <summary>Where a native Slack app subscription lives: the workspace (and its Enterprise Grid organization, if any)
/// and the channel, DM or group id messages are posted to.</summary>
public sealed record SlackConversation(
    [property: JsonPropertyName("team_id")] string TeamId,
    [property: JsonPropertyName("enterprise_id")] string? EnterpriseId,
    [property: JsonPropertyName("channel")] string Channel);

/// <summary>A <see cref="SlackConversation"/> as a subscription's platform-neutral <see cref="ConversationAddress"/> and
/// <see cref="ConversationKey"/>, and back.</summary>
public static class SlackAddress
{
    /// <summary>The subscription key of a Slack conversation: channel <c>slack-app</c> (so it never meets a key of Slack
    /// through Azure Bot Service, whose channel id is <c>slack</c>), the workspace as the tenant, and the channel.</summary>
    public static ConversationKey Key(SlackConversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        return ConversationKey.Create(ChannelId, conversation.TeamId, conversation.Channel);
    }

    /// <summary>The <see cref="ConversationKey.ChannelId"/> of every native Slack app subscription.</summary>
    public const string ChannelId = "slack-app";

    public static ConversationAddress From(SlackConversation conversation) =>
        new(ConversationPlatforms.Slack, JsonSerializer.Serialize(conversation, SlackAddressJsonContext.Default.SlackConversation));

    /// <summary>The conversation an address holds; the address must be a Slack one.</summary>
    public static SlackConversation Read(ConversationAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Platform != ConversationPlatforms.Slack)
        {
            throw new ArgumentException($"A {address.Platform} address is not a Slack conversation.", nameof(address));
        }

        return JsonSerializer.Deserialize(address.Reference, SlackAddressJsonContext.Default.SlackConversation)
            ?? throw new JsonException("The stored Slack conversation is empty.");
    }
}

[JsonSerializable(typeof(SlackConversation))]
internal sealed partial class SlackAddressJsonContext : JsonSerializerContext;
