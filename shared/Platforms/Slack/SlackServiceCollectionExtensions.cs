using Digest.Http;
using Digest.Platforms.Slack.Installations;
using Digest.Storage;
using Digest.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace Digest.Platforms.Slack;

public static class SlackServiceCollectionExtensions
{
    /// <summary>Registers the Slack platform's building blocks: <see cref="SlackOptions"/> bound from <c>Slack</c> with
    /// its validators (validated when first read: a host that needs Slack at start-up adds <c>ValidateOnStart</c>),
    /// the request verifier, the Web API client on a named <see cref="HttpClient"/> with its resilience pipeline, the
    /// per-channel pacing, the Block Kit renderer, the token protector, the OAuth state signer, the installation store
    /// (storage included) as the one <see cref="ISlackBotTokens"/>, and the OAuth install flow.</summary>
    public static IServiceCollection AddDigestSlackPlatform(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(descriptor => descriptor.ServiceType == typeof(SlackWebApiClient)))
        {
            return services; // binding twice would add every list entry twice
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddDigestMetrics();
        services.AddOptions<SlackOptions>()
            .BindConfiguration(SlackOptions.SectionName)
            .ValidateDataAnnotations();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SlackOptions>, SlackOptionsValidator>());

        services.AddHttpClient(SlackWebApiClient.HttpClientName)
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
            .AddResilienceHandler("slack", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<SlackOptions>>().Value;
                pipeline
                    .AddPoliteRetry(options.MaxRetries, options.RetryBaseDelay, options.MaxRetryAfter, IsRetryable)
                    .AddTimeout(options.AttemptTimeout);
            });

        services.TryAddSingleton<SlackRequestVerifier>();
        services.TryAddSingleton<BlockKitRenderer>();
        services.TryAddSingleton<SlackTokenProtector>();
        services.TryAddSingleton<OAuthStateSigner>();
        services.TryAddSingleton<SlackChannelRateLimiter>();
        services.TryAddSingleton(provider => new SlackWebApiClient(
            provider.GetRequiredService<IHttpClientFactory>(),
            provider.GetRequiredService<SlackChannelRateLimiter>(),
            provider.GetRequiredService<IOptions<SlackOptions>>(),
            provider.GetRequiredService<DigestMetrics>(),
            provider.GetRequiredService<ILogger<SlackWebApiClient>>()));

        services.AddDigestStorage();
        services.TryAddSingleton<SlackInstallationStore>();
        services.TryAddSingleton<SingleWorkspaceBotTokens>();
        // One source of bot tokens, whatever was registered before: a single-workspace app's Slack:BotToken (handed out
        // only to the workspace auth.test names, forgotten on uninstall), otherwise the OAuth installations.
        services.RemoveAll<ISlackBotTokens>();
        services.AddSingleton<ISlackBotTokens>(provider => string.IsNullOrWhiteSpace(provider.GetRequiredService<IOptions<SlackOptions>>().Value.BotToken)
            ? provider.GetRequiredService<SlackInstallationStore>()
            : provider.GetRequiredService<SingleWorkspaceBotTokens>());
        services.TryAddSingleton<SlackInstallFlow>();
        return services;
    }

    /// <summary>Retry broken transfers, timeouts, 408, 429 and 5xx (a Retry-After longer than we wait reaches the caller
    /// as <see cref="SlackApiException.RetryAfter"/>, who can come back later).</summary>
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
