using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
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

                // Waiting for a remote server happens in real time, whatever clock the rest of the app is given.
                pipeline.TimeProvider = TimeProvider.System;
                pipeline
                    .AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = Math.Max(options.MaxRetries, 1),
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        Delay = options.RetryBaseDelay,
                        ShouldRetryAfterHeader = true,
                        ShouldHandle = arguments => ValueTask.FromResult(options.MaxRetries > 0 && ShouldRetry(arguments.Outcome, options.MaxRetryAfter)),
                    })
                    .AddTimeout(options.AttemptTimeout);
            });

        services.TryAddSingleton<IPageFetcher>(provider =>
            provider.GetRequiredService<IOptions<SourceOptions>>().Value.IsHttp
                ? ActivatorUtilities.CreateInstance<HttpPageFetcher>(provider)
                : ActivatorUtilities.CreateInstance<FolderPageFetcher>(provider));
        return services;
    }

    /// <summary>Retry broken transfers, timeouts, 408, 429 and 5xx; but not a Retry-After longer than we are willing to wait.</summary>
    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, TimeSpan maxRetryAfter)
    {
        if (outcome.Exception is not null)
        {
            return outcome.Exception is HttpRequestException or IOException or Polly.Timeout.TimeoutRejectedException;
        }

        var response = outcome.Result!;
        var status = (int)response.StatusCode;
        if (status is not (408 or 429) && status < 500)
        {
            return false;
        }

        // A Retry-After given as a date is honoured by the retry strategy; a delta beyond our patience is not waited for.
        return response.Headers.RetryAfter?.Delta is not { } wait || wait <= maxRetryAfter;
    }
}
