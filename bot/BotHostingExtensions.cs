using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Digest.Bot;

public static partial class BotHostingExtensions
{
    /// <summary>Everything <c>/api/messages</c> needs: the shared bot services, the queue and its worker.</summary>
    public static WebApplicationBuilder AddDigestBot(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddDigestTeamsFrontEnd();
        builder.Services.TryAddSingleton<ActivityQueue>();
        builder.Services.TryAddSingleton<RecentActivities>();
        builder.Services.TryAddSingleton<MessagesEndpoint>();
        builder.Services.AddHostedService<ActivityQueueWorker>();
        builder.Services.AddHostedService<SubscriptionTablesInitializer>();
        builder.Services.AddHealthChecks();
        return builder;
    }

    /// <summary>Maps <c>/api/messages</c> (every method, so that others get 405) and <c>/healthz</c>.</summary>
    public static WebApplication MapDigestBot(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<BotOptions>>().Value;
        if (options.AuthenticationDisabled)
        {
            LogAuthenticationDisabled(app.Logger);
        }

        var endpoint = app.Services.GetRequiredService<MessagesEndpoint>();
        app.Map(MessagesEndpoint.Path, endpoint.HandleAsync);
        app.MapHealthChecks("/healthz");
        return app;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bot:AppId is not set: /api/messages accepts UNAUTHENTICATED requests (Development only, for the Agents Playground). Never run like this anywhere else.")]
    private static partial void LogAuthenticationDisabled(ILogger logger);
}

/// <summary>Creates the subscription tables at start-up.</summary>
public sealed class SubscriptionTablesInitializer(Digest.Subscriptions.SubscriptionStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.EnsureTablesAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
