using Digest.FrontEnds.Slack;
using Digest.FrontEnds.Teams;
using Digest.Platforms.Teams;
using Digest.Storage;
using Digest.Telemetry;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Digest.Bot;

public static partial class BotHostingExtensions
{
    /// <summary>The path of the liveness probe: the process answers.</summary>
    public const string LivenessPath = "/healthz";

    /// <summary>The path of the readiness probe: storage answers and the signing keys are loaded.</summary>
    public const string ReadinessPath = "/readyz";

    private const string ReadyTag = "ready";

    // Probes are polled: an unreachable account answers 503 within this, instead of after the storage client's retries.
    private static readonly TimeSpan ReadinessTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Everything the enabled front ends need (<see cref="BotPlatforms"/>): for Teams, <c>/api/messages</c> and
    /// the signing-keys check; for Slack, the <c>/api/slack/*</c> endpoints; telemetry and the
    /// storage check for both.</summary>
    public static WebApplicationBuilder AddDigestBot(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddDigestTelemetry(TelemetryServiceCollectionExtensions.ServiceNames.Bot);
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddAspNetCoreInstrumentation(
            aspNetCore => aspNetCore.Filter = context => context.Request.Path != LivenessPath && context.Request.Path != ReadinessPath));
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddAspNetCoreInstrumentation());
        builder.Services.TryAddSingleton<RequestWorkLimiter>();
        var health = builder.Services.AddHealthChecks().AddDigestStorageCheck(ReadinessTimeout, ReadyTag);
        if (BotPlatforms.TeamsEnabled(builder.Configuration))
        {
            builder.Services.AddDigestTeamsFrontEnd();
            builder.Services.TryAddSingleton<RecentActivities>();
            builder.Services.TryAddSingleton<MessagesEndpoint>();
            health.AddCheck<SigningKeysHealthCheck>(SigningKeysHealthCheck.Name, tags: [ReadyTag], timeout: ReadinessTimeout);
        }

        if (BotPlatforms.SlackEnabled(builder.Configuration))
        {
            builder.Services.AddDigestSlackFrontEnd();
            builder.Services.TryAddSingleton<SlackEndpoints>();
        }

        builder.Services.AddHostedService<StorageInitializer>();
        return builder;
    }

    /// <summary>Maps <c>/api/messages</c> and the Slack endpoints of the enabled front ends (every method, so that others
    /// get 405), <c>/healthz</c> (liveness: no
    /// dependency is checked, so a storage outage never makes the platform restart a bot that would come back by
    /// itself) and <c>/readyz</c> (readiness: storage and signing keys; 503 while either is missing).</summary>
    public static WebApplication MapDigestBot(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetService<MessagesEndpoint>() is { } messages)
        {
            if (app.Services.GetRequiredService<IOptions<BotOptions>>().Value.AuthenticationDisabled)
            {
                LogAuthenticationDisabled(app.Logger);
            }

            app.Map(MessagesEndpoint.Path, messages.HandleAsync);
        }

        if (app.Services.GetService<SlackEndpoints>() is { } slack)
        {
            app.Map(SlackEndpoints.CommandsPath, slack.CommandsAsync);
            app.Map(SlackEndpoints.EventsPath, slack.EventsAsync);
            app.Map(SlackEndpoints.InteractionsPath, slack.InteractionsAsync);
        }

        app.MapDigestSlackInstall();
        app.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks(ReadinessPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        return app;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bot:AppId is not set: /api/messages accepts UNAUTHENTICATED requests (Development only, for the Agents Playground). Never run like this anywhere else.")]
    private static partial void LogAuthenticationDisabled(ILogger logger);
}

/// <summary>Creates the tables and container at start-up. Storage that is not there yet does not stop the bot: the
/// store and the paper source create what is missing on their first use after it comes back.</summary>
public sealed partial class StorageInitializer(Digest.Storage.DigestStorage storage, ILogger<StorageInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await storage.EnsureCreatedAsync(cancellationToken);
        }
        catch (Exception e) when (e is Azure.RequestFailedException
            || (e is AggregateException retries && retries.InnerExceptions.All(inner => inner is Azure.RequestFailedException)))
        {
            // The storage client throws an AggregateException of its tries once its retries are spent.
            LogStorageUnavailable(logger, e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage is not reachable at start-up; the tables will be created on first use.")]
    private static partial void LogStorageUnavailable(ILogger logger, Exception exception);
}
