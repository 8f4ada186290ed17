using Digest.Delivery.Queue;
using Digest.Papers;
using Digest.Platforms.Slack;
using Digest.Rules;
using Digest.Platforms.Teams;
using Digest.Platforms.Teams.Cards;
using Digest.Platforms.Teams.Connector;
using Digest.Subscriptions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Digest.Delivery;

public static class DeliveryServiceCollectionExtensions
{
    /// <summary>Registers <see cref="NotifySubscribers"/> and what it needs: the connector client and card renderer
    /// for Teams, the Web API client, Block Kit renderer and installations for Slack (<see cref="SlackServiceCollectionExtensions.AddDigestSlackPlatform"/>), the
    /// subscription store (<see cref="TeamsServiceCollectionExtensions.AddDigestTeamsPlatform"/>, <see cref="SubscriptionServiceCollectionExtensions.AddDigestSubscriptions"/>), the paper store, the
    /// outbox and validated <see cref="DeliveryOptions"/>. The Bot and Slack options are validated when the notifier is first
    /// built, not at host start-up, so that a host which also runs the crawl starts without Bot settings.</summary>
    public static IServiceCollection AddDigestNotifier(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddDigestSubscriptions();
        services.AddDigestTeamsPlatform();
        services.AddDigestSlackPlatform();
        services.AddOptions<DeliveryOptions>()
            .BindConfiguration(DeliveryOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<PaperStore>();
        services.TryAddSingleton<PaperCorpus>();
        services.TryAddSingleton<PaperCardSplitter>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPlatformMessenger, TeamsMessenger>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPlatformMessenger, SlackMessenger>());
        services.TryAddSingleton<DeliveryPlanner>();
        services.TryAddSingleton<FeedbackRanking>();
        services.TryAddSingleton<DeliverySender>();
        services.TryAddSingleton<NotifySubscribers>();
        services.TryAddSingleton<DeliveryDispatcher>();
        services.TryAddSingleton<DeliveryConsumer>();
        services.AddDigestDeliveryLedger();
        return services;
    }

    /// <summary>For the hosts that run the steps: when <c>Delivery:Enabled</c> is on, registers the notifier with the
    /// platform's settings validated at start-up (a bad one stops the host with its message, not every run later).
    /// Returns whether it is on.</summary>
    public static bool AddDigestDeliveryIfEnabled(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (!configuration.GetSection(DeliveryOptions.SectionName).GetValue<bool>(nameof(DeliveryOptions.Enabled)))
        {
            return false;
        }

        services.AddDigestNotifier();
        services.AddOptions<BotOptions>().ValidateOnStart();
        services.AddOptions<ConnectorOptions>().ValidateOnStart();
        services.AddOptions<SlackOptions>().ValidateOnStart();
        return true;
    }

    /// <summary>Registers the <see cref="DeliveryLedger"/> (the outbox across subscriptions, for <c>digest deliveries</c>)
    /// and the <see cref="DeliveryQueue"/> with its poison queue: they need storage and subscriptions only, not a
    /// platform's settings.</summary>
    public static IServiceCollection AddDigestDeliveryLedger(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddDigestSubscriptions();
        services.TryAddSingleton<PendingDeliveries>();
        services.TryAddSingleton<DeliveryOutbox>();
        services.TryAddSingleton<DeliveryWatermarks>();
        services.TryAddSingleton<DeliveryLedger>();
        services.TryAddSingleton<PlannerState>();
        if (!services.Any(descriptor => descriptor.ServiceType == typeof(DeliveryQueue)))
        {
            // Once: a bad setting is reported once.
            services.AddOptions<DeliveryQueueOptions>()
                .BindConfiguration(DeliveryQueueOptions.SectionName)
                .ValidateDataAnnotations()
                .ValidateOnStart();
            services.AddSingleton<DeliveryQueue>();
        }

        return services;
    }
}
