using Digest.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Digest.Subscriptions;

public static class SubscriptionServiceCollectionExtensions
{
    /// <summary>Registers storage, validated <see cref="SubscriptionStoreOptions"/> and the <see cref="SubscriptionStore"/>.</summary>
    public static IServiceCollection AddDigestSubscriptions(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.AddDigestStorage();
        if (services.Any(descriptor => descriptor.ServiceType == typeof(SubscriptionStore)))
        {
            return services;
        }

        services.AddOptions<SubscriptionStoreOptions>()
            .BindConfiguration(SubscriptionStoreOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<SubscriptionStore>();
        return services;
    }
}
