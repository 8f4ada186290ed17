using Digest.Crawling;
using Digest.Delivery;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Digest.Steps;

public static class StepsServiceCollectionExtensions
{
    /// <summary>
    /// Registers what the steps of <see cref="DigestSteps.All"/> call, for every host that runs them (<c>digest</c>, the
    /// Function App): the crawler, the delivery ledger and queue, and, when <c>Delivery:Enabled</c> is on, the notifier
    /// with its settings validated at start-up. Returns whether delivery is on.
    /// </summary>
    public static bool AddDigestSteps(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddDigestCrawler();
        services.AddDigestDeliveryLedger();
        services.TryAddSingleton<DigestCycle>();
        return services.AddDigestDeliveryIfEnabled(configuration);
    }
}
