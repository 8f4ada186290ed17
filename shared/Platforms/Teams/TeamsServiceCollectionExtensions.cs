using Digest.Http;
using Digest.Platforms.Teams.Authentication;
using Digest.Platforms.Teams.Cards;
using Digest.Platforms.Teams.Connector;
using Digest.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace Digest.Platforms.Teams;

public static class TeamsServiceCollectionExtensions
{
    /// <summary>Registers the Teams (Bot Framework) transport: <see cref="BotOptions"/> and <see cref="ConnectorOptions"/>
    /// bound and validated when first read (a host decides whether they must be valid at start-up), the outbound token
    /// provider (client credentials, managed identity, or none in Development without an app id), the connector client
    /// on its resilience pipeline, inbound token validation and the card renderer.</summary>
    public static IServiceCollection AddDigestTeamsPlatform(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.AddDigestMetrics();

        // Binding the Bot options twice would add every list entry twice.
        if (services.Any(descriptor => descriptor.ServiceType == typeof(BotConnectorClient)))
        {
            return services;
        }

        services.AddOptions<BotOptions>()
            .BindConfiguration(BotOptions.SectionName)
            .ValidateDataAnnotations();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BotOptions>, BotOptionsValidator>());
        services.TryAddSingleton<AdaptiveCardRenderer>();
        services.AddOptions<ConnectorOptions>()
            .BindConfiguration(ConnectorOptions.SectionName)
            .ValidateDataAnnotations();

        // Asking for a token again is harmless, so the token endpoint's timeouts are retried as well.
        services.AddHttpClient(nameof(ClientCredentialsTokenProvider), client => client.Timeout = Timeout.InfiniteTimeSpan)
            .AddResilienceHandler("bot-token", (pipeline, context) => Resilience(pipeline, context.ServiceProvider, retryTimeouts: true));
        services.TryAddSingleton<IConnectorTokenProvider>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<BotOptions>>().Value;
            return options switch
            {
                { AuthenticationDisabled: true } => new NoTokenProvider(),
                { AppType: BotAppType.UserAssignedMSI } => ActivatorUtilities.CreateInstance<ManagedIdentityTokenProvider>(provider),
                _ => ActivatorUtilities.CreateInstance<ClientCredentialsTokenProvider>(provider, Client(provider, nameof(ClientCredentialsTokenProvider))),
            };
        });

        // No redirects: the bearer token goes only where the allow-list said. One circuit per connector host (Teams has
        // one per region), so one region's outage does not stop the others.
        services.AddHttpClient(nameof(BotConnectorClient), client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
            .AddResilienceHandler("bot-connector", (pipeline, context) => Resilience(pipeline, context.ServiceProvider, retryTimeouts: false))
            .SelectPipelineByAuthority();
        services.TryAddSingleton(provider => ActivatorUtilities.CreateInstance<BotConnectorClient>(provider, Client(provider, nameof(BotConnectorClient))));
        services.AddHttpClient(nameof(OpenIdKeySource), client =>
        {
            client.Timeout = TimeSpan.FromSeconds(10);
            client.MaxResponseContentBufferSize = 512 * 1024; // a metadata document or key set is a few KiB
        });
        services.TryAddSingleton<BotTokenValidator>();
        return services;
    }

    // Retry (with jitter, honouring Retry-After) outside a circuit breaker outside the attempt timeout: the layout of
    // the standard resilience handler, with the Teams guidance's retryable codes (docs/protocols.md §3.5).
    private static void Resilience(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, IServiceProvider provider, bool retryTimeouts)
    {
        var options = provider.GetRequiredService<IOptions<ConnectorOptions>>().Value;
        pipeline
            .AddPoliteRetry(options.MaxRetries, options.RetryBaseDelay, options.MaxRetryAfter, outcome => IsRetryable(outcome, retryTimeouts))
            .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 20,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = TimeSpan.FromSeconds(30),
                ShouldHandle = arguments => ValueTask.FromResult(IsFault(arguments.Outcome)),
            })
            .AddTimeout(options.AttemptTimeout);
    }

    // A timed-out send is not retried by default: the connector may have posted the message before going silent, and
    // it has no idempotency key. A refused connection never reached it.
    private static bool IsRetryable(Outcome<HttpResponseMessage> outcome, bool retryTimeouts) =>
        outcome.Exception is not null
            ? outcome.Exception is HttpRequestException || (retryTimeouts && outcome.Exception is TimeoutRejectedException)
            : (int)outcome.Result!.StatusCode is 412 or 429 or 502 or 503 or 504 || (retryTimeouts && (int)outcome.Result.StatusCode is 408 or 500);

    private static bool IsFault(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is HttpRequestException or TimeoutRejectedException
        || (outcome.Result is { } response && ((int)response.StatusCode is 429 || (int)response.StatusCode >= 500));

    private static HttpClient Client(IServiceProvider provider, string name) =>
        provider.GetRequiredService<IHttpClientFactory>().CreateClient(name);
}
