using Digest.Crawling;
using Digest.Papers;
using Digest.Storage;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Digest.Tests.Crawling;

/// <summary>
/// The crawler wired as the host wires it (AddDigestCrawler), against Azurite with table and container names of its
/// own, a fake clock, and a source (a loopback server or a folder).
/// </summary>
public sealed class CrawlerHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private CrawlerHarness(ServiceProvider services, FakeTimeProvider time, string prefix)
    {
        _services = services;
        Time = time;
        Prefix = prefix;
    }

    public FakeTimeProvider Time { get; }

    public string Prefix { get; }

    public IServiceProvider Services => _services;

    public CrawlCycle Cycle => _services.GetRequiredService<CrawlCycle>();

    public PaperStore Papers => _services.GetRequiredService<PaperStore>();

    public DigestStorage Storage => _services.GetRequiredService<DigestStorage>();

    public StorageRequestCounter Requests => _services.GetRequiredService<StorageRequestCounter>();

    public static CrawlerHarness Create(
        AzuriteFixture azurite, string source, DateTimeOffset now, IDictionary<string, string?>? settings = null, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(azurite);
        prefix ??= AzuriteFixture.UniqueName("t")[..13];
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Storage:NamePrefix"] = prefix,
            ["Sources:Source"] = source,
            ["Sources:RetryBaseDelay"] = "00:00:00.010",
            ["Sources:AttemptTimeout"] = "00:00:10",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var time = new FakeTimeProvider(now);
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build())
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton<TimeProvider>(time)
            .AddDigestCrawler()
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        services.GetRequiredService<IStartupValidator>().Validate();
        return new CrawlerHarness(services, time, prefix);
    }

    /// <summary>All rows of a table of this harness, for checking exactly what was written.</summary>
    public async Task<List<T>> AllAsync<T>(Azure.Data.Tables.TableClient table, CancellationToken cancellationToken)
        where T : class, Azure.Data.Tables.ITableEntity, new() =>
        await table.QueryAsync<T>(cancellationToken: cancellationToken).ToListAsync(cancellationToken);

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
