using Digest.Conversation;
using Digest.Platforms.Teams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Digest.FrontEnds.Teams;

public static class TeamsFrontEndServiceCollectionExtensions
{
    /// <summary>Registers the Teams front end on the command core: the Teams platform with its options validated at
    /// start-up (a bot cannot answer without them), the reply renderer and the activity handler.</summary>
    public static IServiceCollection AddDigestTeamsFrontEnd(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddDigestConversation();
        services.AddDigestTeamsPlatform();
        services.AddOptions<BotOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BotOptions>, TeamsFrontEndOptionsValidator>());
        services.AddOptions<Platforms.Teams.Connector.ConnectorOptions>().ValidateOnStart();
        services.TryAddSingleton<TeamsReplyRenderer>();
        services.TryAddSingleton<IActivityHandler, TeamsActivityHandler>();
        return services;
    }
}
