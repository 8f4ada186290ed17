using Digest.Papers;
using Digest.Platforms.Teams;
using Digest.Platforms.Teams.Cards;
using Digest.Subscriptions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Digest.Delivery;

public static class DeliveryServiceCollectionExtensions
{
    /// <summary>Registers <see cref="NotifySubscribers"/> and what it needs: the connector client, card renderer and
    /// subscription store (<see cref="TeamsServiceCollectionExtensions.AddDigestTeamsPlatform"/>, <see cref="SubscriptionServiceCollectionExtensions.AddDigestSubscriptions"/>), the paper store, the
    /// outbox and validated <see cref="DeliveryOptions"/>. The Bot options are validated when the notifier is first
    /// built, not at host start-up, so that a host which also runs the crawl starts without Bot settings.</summary>
    public static IServiceCollection AddDigestNotifier(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddDigestSubscriptions();
        services.AddDigestTeamsPlatform();
        services.AddOptions<DeliveryOptions>()
            .BindConfiguration(DeliveryOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<PaperStore>();
        services.TryAddSingleton<DeliveryOutbox>();
        services.TryAddSingleton<PendingDeliveries>();
        services.TryAddSingleton<PlannerState>();
        services.TryAddSingleton<PaperCardSplitter>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPlatformMessenger, TeamsMessenger>());
        services.TryAddSingleton<DeliveryPlanner>();
        services.TryAddSingleton<DeliverySender>();
        services.TryAddSingleton<NotifySubscribers>();
        return services;
    }
}
