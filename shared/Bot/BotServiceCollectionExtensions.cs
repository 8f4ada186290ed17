using Digest.Bot.Authentication;
using Digest.Bot.Cards;
using Digest.Bot.Connector;
using Digest.Bot.Conversation;
using Digest.Delivery;
using Digest.Papers;
using Digest.Storage;
using Digest.Subscriptions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Digest.Bot;

public static class BotServiceCollectionExtensions
{
    /// <summary>Registers what the bot and the notifier share: validated <see cref="BotOptions"/> and
    /// <see cref="SubscriptionStoreOptions"/>, storage, the subscription store, the connector client with its token
    /// provider (client credentials, managed identity, or none in Development without an app id) and the card renderer.</summary>
    public static IServiceCollection AddDigestBotDelivery(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddDigestBotConnector();
        services.AddOptions<BotOptions>().ValidateOnStart();
        return services;
    }

    /// <summary>What <see cref="AddDigestBotDelivery"/> registers, with <see cref="BotOptions"/> validated when first
    /// read rather than at start-up: for a host (the timer host) whose other work must not need Bot settings.</summary>
    public static IServiceCollection AddDigestBotConnector(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);

        // A host that runs the crawl too has registered storage already; validating its options twice would report
        // every bad setting twice. Binding the Bot options twice would add every list entry twice.
        if (!services.Any(descriptor => descriptor.ServiceType == typeof(DigestStorage)))
        {
            services.AddDigestStorage();
        }

        if (services.Any(descriptor => descriptor.ServiceType == typeof(BotConnectorClient)))
        {
            return services;
        }

        services.AddOptions<BotOptions>()
            .BindConfiguration(BotOptions.SectionName)
            .ValidateDataAnnotations();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BotOptions>, BotOptionsValidator>());
        services.AddOptions<SubscriptionStoreOptions>()
            .BindConfiguration(SubscriptionStoreOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.TryAddSingleton<SubscriptionStore>();
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
        return services;
    }

    private static HttpClient Client(IServiceProvider provider, string name) =>
        provider.GetRequiredService<IHttpClientFactory>().CreateClient(name);

    /// <summary>Registers the conversation side: <see cref="AddDigestBotDelivery"/>, the notifier (the <c>digest</c>
    /// command delivers through it), inbound token validation, the paper source over the crawl's tables, the rule
    /// language and the activity handler.</summary>
    public static IServiceCollection AddDigestBotConversation(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddDigestBotDelivery();
        services.AddDigestNotifier();
        services.AddHttpClient(nameof(OpenIdKeySource), client => client.Timeout = TimeSpan.FromSeconds(10));
        services.TryAddSingleton<BotTokenValidator>();
        services.TryAddSingleton<PaperStore>();
        services.TryAddSingleton<IPaperSource, StoredPaperSource>();
        services.TryAddSingleton<IRuleEngine, RuleLanguageEngine>();
        services.TryAddSingleton<IActivityHandler, BotActivityHandler>();
        return services;
    }
}
