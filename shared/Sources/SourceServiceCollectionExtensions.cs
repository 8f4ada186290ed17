using System.Net;
using Digest.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Polly;

namespace Digest.Sources;

public static class SourceServiceCollectionExtensions
{
    /// <summary>
    /// Registers validated <see cref="SourceOptions"/>, the page fetcher for the configured source (HTTP or folder)
    /// and the HTTP client with its resilience pipeline.
    /// </summary>
    public static IServiceCollection AddDigestSources(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<SourceOptions>()
            .BindConfiguration(SourceOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddHttpClient(HttpPageFetcher.HttpClientName)
            .ConfigureHttpClient((provider, client) =>
            {
                var options = provider.GetRequiredService<IOptions<SourceOptions>>().Value;
                client.DefaultRequestHeaders.UserAgent.ParseAdd(options.UserAgent);
                client.DefaultRequestHeaders.Accept.ParseAdd("text/html,application/json;q=0.9,*/*;q=0.8");
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All })
            .AddResilienceHandler("huggingface", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<SourceOptions>>().Value;
                pipeline
                    .AddPoliteRetry(options.MaxRetries, options.RetryBaseDelay, options.MaxRetryAfter, IsRetryable)
                    .AddTimeout(options.AttemptTimeout);
            });

        services.TryAddSingleton<IPageFetcher>(provider =>
            provider.GetRequiredService<IOptions<SourceOptions>>().Value.IsHttp
                ? ActivatorUtilities.CreateInstance<HttpPageFetcher>(provider)
                : ActivatorUtilities.CreateInstance<FolderPageFetcher>(provider));
        return services;
    }

    /// <summary>Retry broken transfers, timeouts, 408, 429 and 5xx.</summary>
    private static bool IsRetryable(Outcome<HttpResponseMessage> outcome)
    {
        if (outcome.Exception is not null)
        {
            return outcome.Exception is HttpRequestException or IOException or Polly.Timeout.TimeoutRejectedException;
        }

        var status = (int)outcome.Result!.StatusCode;
        return status is 408 or 429 || status >= 500;
    }
}
