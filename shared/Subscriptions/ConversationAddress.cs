namespace Digest.Subscriptions;

/// <summary>The platforms that carry conversations.</summary>
public static class ConversationPlatforms
{
    /// <summary>The Bot Framework protocol through the Bot Connector: Microsoft Teams, and Slack through Azure Bot Service.</summary>
    public const string BotFramework = "botframework";

    /// <summary>The native Slack app (Web API).</summary>
    public const string Slack = "slack";
}

/// <summary>Where deliveries reach a conversation: the platform, and that platform's own reference to it, kept as the
/// platform wrote it (JSON) and read back only by that platform's code, so this layer depends on none of them.</summary>
public sealed record ConversationAddress(string Platform, string Reference);
