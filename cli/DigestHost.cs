using Digest.Cli.Health;
using Digest.Delivery;
using Digest.Delivery.Queue;
using Digest.Steps;
using Digest.Storage;
using Digest.Telemetry;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Host;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Digest.Cli;

/// <summary>Builds the two hosts of the <c>digest</c> executable: the WebJobs timer host and the command-line host.</summary>
public static class DigestHost
{
    /// <summary>The WebJobs host with the functions of <see cref="CrawlFunctions"/> and <see cref="NotifyFunctions"/>: the
    /// steps of <see cref="DigestSteps"/>.</summary>
    /// <param name="overrides">Settings that win over appsettings.json and the environment.</param>
    /// <param name="configureServices">Last changes to the services (tests add an in-memory exporter).</param>
    public static IHost CreateTimerHost(IReadOnlyDictionary<string, string?> overrides, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        return new HostBuilder()
            .ConfigureWebJobs((context, webJobs) =>
            {
                // The singleton locks live under the host id in the account's azure-webjobs-hosts container. The SDK's
                // default id is a hash of the assembly name, the same for every deployment: deployments that share an
                // account through Storage:NamePrefix would wait for each other's locks.
                webJobs.UseHostId(HostId(context.Configuration[$"{StorageOptions.SectionName}:{nameof(StorageOptions.NamePrefix)}"]));
                webJobs.AddAzureStorageCoreServices();
                webJobs.AddTimers();

                // The Function App's extensions.queues (functions/host.json), from DeliveryQueue:* here.
                var queue = context.Configuration.GetSection(DeliveryQueueOptions.SectionName).Get<DeliveryQueueOptions>() ?? new DeliveryQueueOptions();
                webJobs.AddAzureStorageQueues(queues =>
                {
                    queues.MaxDequeueCount = queue.MaxDequeueCount;
                    queues.VisibilityTimeout = queue.VisibilityTimeout;
                    queues.BatchSize = queue.BatchSize;
                    queues.MaxPollingInterval = queue.MaxPollingInterval;
                });
            })

            // After ConfigureWebJobs, which adds the working directory's appsettings.json and the environment of its own:
            // the binary's appsettings.json, the environment and the command line must win over whatever file sits there.
            .ConfigureAppConfiguration(configuration => Configure(configuration, overrides))
            .ConfigureLogging((context, logging) => logging.AddConfiguration(context.Configuration.GetSection("Logging")).AddSimpleConsole(console => console.SingleLine = true))
            .ConfigureServices((context, services) =>
            {
                services.AddDigestTelemetry(context.Configuration, TelemetryServiceCollectionExtensions.ServiceNames.TimerHost);
                services.AddSingleton<IJobActivator, ServiceProviderJobActivator>();
                services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
                services.AddHealthChecks().AddDigestStorageCheck(TimeSpan.FromSeconds(5));
                services.AddHostedService<HealthEndpoint>();
                services.AddSingleton<ITypeLocator>(new FunctionTypes(services.AddDigestSteps(context.Configuration)
                    ? [typeof(CrawlFunctions), typeof(NotifyFunctions)]
                    : [typeof(CrawlFunctions)]));
                configureServices?.Invoke(services);
            })
            .Build();
    }

    /// <summary>Whether the notifier runs too (<c>Delivery:Enabled</c>); the hosts say so when it does not.</summary>
    internal static bool DeliversMessages(IConfiguration configuration) =>
        configuration.GetSection(DeliveryOptions.SectionName).GetValue<bool>(nameof(DeliveryOptions.Enabled));

    /// <summary>
    /// The WebJobs host id: <c>digest-</c> and the name prefix (at most 27 characters, as host ids must be), or
    /// <c>digest</c>. A prefix that is not valid is refused by options validation before the host starts.
    /// </summary>
    internal static string HostId(string? namePrefix) =>
        namePrefix is { Length: > 0 and <= 20 } && namePrefix.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c))
            ? $"digest-{namePrefix}"
            : "digest";

    /// <summary>A plain host for one command: the crawler's services and telemetry, logging to standard error.</summary>
    /// <param name="overrides">Settings that win over appsettings.json and the environment.</param>
    /// <param name="logLevel">The console's log level.</param>
    /// <param name="configureServices">Last changes to the services (tests add an in-memory exporter).</param>
    public static IHost CreateCommandHost(IReadOnlyDictionary<string, string?> overrides, LogLevel logLevel, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        Configure(builder.Configuration, overrides);
        // A command prints its own summary, so its log shows only what the summary does not (or more with -v);
        // the SDKs' own chatter stays at warnings even then.
        var sdkLevel = logLevel > LogLevel.Warning ? logLevel : LogLevel.Warning;
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Logging.AddFilter("Azure", sdkLevel).AddFilter("System.Net.Http", sdkLevel)
            .AddFilter("Polly", logLevel > LogLevel.Information ? LogLevel.None : LogLevel.Warning);
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
        builder.Logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddDigestTelemetry(builder.Configuration, TelemetryServiceCollectionExtensions.ServiceNames.CommandLine);
        builder.Services.AddDigestSteps(builder.Configuration);
        builder.Services.FailFastWhenStorageRefuses();
        configureServices?.Invoke(builder.Services);
        var host = builder.Build();

        // A command's host is never started, so the telemetry providers its hosted service would create are created
        // here: without them the command's activities would have no listener and its change rows no trace context.
        _ = host.Services.GetService<TracerProvider>();
        _ = host.Services.GetService<MeterProvider>();
        return host;
    }

    /// <summary>Validates every option now, so that a bad setting stops the command with its message.</summary>
    public static void ValidateOptions(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.GetRequiredService<IStartupValidator>().Validate();
    }

    /// <summary>
    /// appsettings.json, then environment variables (<c>Storage__ConnectionString</c>), then the command line. The WebJobs
    /// runtime reads its storage from <c>AzureWebJobsStorage</c>; it is mapped from <c>Storage:ConnectionString</c>
    /// so that there is one setting. The queue trigger's <c>Storage:DeliveryQueue</c> is worked out from the name prefix
    /// unless it is set (the Function App must set it: its host reads trigger settings from app settings only).
    /// </summary>
    private static void Configure(IConfigurationBuilder configuration, IReadOnlyDictionary<string, string?> overrides)
    {
        configuration.SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(overrides);
        var built = configuration.Build();
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = built[$"{StorageOptions.SectionName}:{nameof(StorageOptions.ConnectionString)}"] ?? StorageOptions.DevelopmentConnectionString,
            [DigestSteps.DeliveryQueueSetting] = built[DigestSteps.DeliveryQueueSetting] is { Length: > 0 } queue
                ? queue
                : built[$"{StorageOptions.SectionName}:{nameof(StorageOptions.NamePrefix)}"] + StorageNames.DeliveryQueue,
        });
    }

    /// <summary>The function classes the WebJobs host indexes, instead of every type of every loaded assembly.</summary>
    private sealed class FunctionTypes(IReadOnlyList<Type> types) : ITypeLocator
    {
        public IReadOnlyList<Type> GetTypes() => types;
    }

    private sealed class ServiceProviderJobActivator(IServiceProvider services) : IJobActivator
    {
        public T CreateInstance<T>() => ActivatorUtilities.GetServiceOrCreateInstance<T>(services);
    }
}
