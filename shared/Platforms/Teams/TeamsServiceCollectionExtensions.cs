using Digest.Platforms.Teams.Authentication;
using Digest.Platforms.Teams.Cards;
using Digest.Platforms.Teams.Connector;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Digest.Platforms.Teams;

public static class TeamsServiceCollectionExtensions
{
    /// <summary>Registers the Teams (Bot Framework) transport: <see cref="BotOptions"/> bound and validated when first
    /// read (a host decides whether they must be valid at start-up), the outbound token provider (client credentials,
    /// managed identity, or none in Development without an app id), the connector client and the card renderer.</summary>
    public static IServiceCollection AddDigestTeamsPlatform(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);

        // Binding the Bot options twice would add every list entry twice.
        if (services.Any(descriptor => descriptor.ServiceType == typeof(BotConnectorClient)))
        {
            return services;
        }

        services.AddOptions<BotOptions>()
            .BindConfiguration(BotOptions.SectionName)
            .ValidateDataAnnotations();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BotOptions>, BotOptionsValidator>());
        services.TryAddSingleton<AdaptiveCardRenderer>();
        services.AddHttpClient(nameof(ClientCredentialsTokenProvider), client => client.Timeout = TimeSpan.FromSeconds(30));
        services.TryAddSingleton<IConnectorTokenProvider>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<BotOptions>>().Value;
            return options switch
            {
                { AuthenticationDisabled: true } => new NoTokenProvider(),
                { AppType: BotAppType.UserAssignedMSI } => ActivatorUtilities.CreateInstance<ManagedIdentityTokenProvider>(provider),
                _ => ActivatorUtilities.CreateInstance<ClientCredentialsTokenProvider>(provider, Client(provider, nameof(ClientCredentialsTokenProvider))),
            };
        });

        // Retries are the client's own (it knows which codes are safe to retry), so no resilience handler here.
        services.AddHttpClient(nameof(BotConnectorClient), client => client.Timeout = TimeSpan.FromSeconds(30));
        services.TryAddSingleton(provider => ActivatorUtilities.CreateInstance<BotConnectorClient>(provider, Client(provider, nameof(BotConnectorClient))));
        services.AddHttpClient(nameof(OpenIdKeySource), client => client.Timeout = TimeSpan.FromSeconds(10));
        services.TryAddSingleton<BotTokenValidator>();
        return services;
    }

    private static HttpClient Client(IServiceProvider provider, string name) =>
        provider.GetRequiredService<IHttpClientFactory>().CreateClient(name);
}
