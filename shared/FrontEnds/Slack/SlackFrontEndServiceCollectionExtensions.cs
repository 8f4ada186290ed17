using Digest.Conversation;
using Digest.Platforms.Slack;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Digest.FrontEnds.Slack;

public static class SlackFrontEndServiceCollectionExtensions
{
    /// <summary>Registers the Slack front end on the command core: the Slack platform with its options validated at
    /// start-up (the endpoints cannot verify a request without them), the bot token of a single-workspace app
    /// (<c>Slack:BotToken</c>) unless an installation store was registered before, the renderer, the event log (pruned hourly) and the
    /// handlers of commands, events and interactions.</summary>
    public static IServiceCollection AddDigestSlackFrontEnd(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddDigestConversation();
        services.AddDigestSlackPlatform();
        services.AddOptions<SlackOptions>().ValidateOnStart();
        services.AddOptions<SlackFrontEndOptions>()
            .BindConfiguration(SlackOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<ISlackBotTokens, SingleWorkspaceBotTokens>();
        services.TryAddSingleton<SlackReplyRenderer>();
        services.TryAddSingleton<SlackEventLog>();
        services.AddHostedService<SlackEventLogPruner>();
        services.TryAddSingleton<SlackResponder>();
        services.TryAddSingleton<SlackChannelManagers>();
        services.TryAddSingleton<SlackHome>();
        services.TryAddSingleton<SlackWorkspaces>();
        services.TryAddSingleton<SlackCommandHandler>();
        services.TryAddSingleton<SlackEventHandler>();
        services.TryAddSingleton<SlackInteractionHandler>();
        return services;
    }
}
