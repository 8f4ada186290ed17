using Digest.FrontEnds.Teams;
using Digest.Platforms.Teams;
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
        builder.Services.AddHostedService<StorageInitializer>();
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
