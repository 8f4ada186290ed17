namespace Digest.Tests.Slack.Loopback;

/// <summary>The settings of a single-workspace Slack app against a loopback Slack.</summary>
public static class SlackTestSettings
{
    /// <summary>Slack's published test vector's secret.</summary>
    public const string SigningSecret = "8f742231b10e8888abcd99yyyzzz85a5";

    /// <summary>The workspace the loopback Slack's <c>auth.test</c> says the bot token belongs to.</summary>
    public const string Team = "T0LOOPBACK";

    /// <summary>Slack-only settings (no <c>Bot:*</c>) on <paramref name="slack"/> and a storage account.</summary>
    public static Dictionary<string, string?> Configuration(LoopbackSlack slack, string storageConnectionString)
    {
        ArgumentNullException.ThrowIfNull(slack);
        return new(StringComparer.OrdinalIgnoreCase)
        {
            ["Slack:SigningSecret"] = SigningSecret,
            ["Slack:BotToken"] = "xoxb-loopback-single-workspace",
            ["Slack:ApiBaseUrl"] = slack.ApiBaseUrl.ToString(),
            ["Slack:AllowedResponseUrls:0"] = slack.ResponseUrlPrefix,
            ["Slack:ChannelMessageInterval"] = "00:00:00.010",
            ["Slack:RetryBaseDelay"] = "00:00:00",
            ["Storage:ConnectionString"] = storageConnectionString,
            ["Storage:NamePrefix"] = "s" + Guid.NewGuid().ToString("N")[..12],
        };
    }
}
