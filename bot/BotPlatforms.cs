using Digest.Platforms.Slack;
using Digest.Platforms.Teams;

namespace Digest.Bot;

/// <summary>Which front ends a bot runs, each enabled by its own settings: Slack by <c>Slack:SigningSecret</c>, Teams
/// by <c>Bot:AppId</c>. A bot with neither runs Teams, whose start-up check then says what is missing (or, in
/// Development, serves the Agents Playground unauthenticated).</summary>
public static class BotPlatforms
{
    public static bool SlackEnabled(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(configuration[$"{SlackOptions.SectionName}:{nameof(SlackOptions.SigningSecret)}"]);
    }

    public static bool TeamsEnabled(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(configuration[$"{BotOptions.SectionName}:{nameof(BotOptions.AppId)}"]) || !SlackEnabled(configuration);
    }
}
