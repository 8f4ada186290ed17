using Digest.Crawling;
using Digest.Delivery;
using Digest.Steps.Runs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Digest.Steps;

public static class StepsServiceCollectionExtensions
{
    /// <summary>
    /// Registers what the steps of <see cref="DigestSteps.All"/> call, for every host that runs them (<c>digest</c>, the
    /// Function App): the crawler, the delivery ledger and queue, the step classes and the <see cref="StepRunner"/> that
    /// records their runs (and writes the last ones when a host stops), <c>digest status</c>, and, when
    /// <c>Delivery:Enabled</c> is on, the notifier with its settings validated at start-up. Returns whether delivery is on.
    /// </summary>
    public static bool AddDigestSteps(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddDigestCrawler();
        services.AddDigestDeliveryLedger();
        services.TryAddSingleton<StepRunStore>();
        services.TryAddSingleton<StepRunner>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StepRunFlusher>());
        services.TryAddSingleton<CrawlSteps>();
        services.TryAddSingleton<DigestCycle>();
        services.TryAddSingleton<DigestStatus>();
        if (!services.AddDigestDeliveryIfEnabled(configuration))
        {
            return false;
        }

        // Only with the notifier it calls: a container validated on build must not hold a service it cannot make.
        services.TryAddSingleton<DeliverySteps>();
        return true;
    }
}
