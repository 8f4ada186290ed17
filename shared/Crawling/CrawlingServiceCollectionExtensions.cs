using Digest.Papers;
using Digest.Parsing;
using Digest.Snapshots;
using Digest.Sources;
using Digest.Storage;
using Digest.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Digest.Crawling;

public static class CrawlingServiceCollectionExtensions
{
    /// <summary>Registers the crawl pipeline: storage, sources, parser, the two steps and <see cref="CrawlCycle"/>.</summary>
    public static IServiceCollection AddDigestCrawler(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.AddDigestStorage();
        services.AddDigestMetrics();
        services.AddDigestSources();
        services.TryAddSingleton<PageParser>();
        services.TryAddSingleton<SnapshotStore>();
        services.TryAddSingleton<PaperStore>();
        services.TryAddSingleton<SnapshotDigests>();
        services.TryAddSingleton<ParseAndDiff>();
        services.TryAddSingleton<CrawlCycle>();
        services.TryAddSingleton<SavedPages>();
        return services;
    }
}
