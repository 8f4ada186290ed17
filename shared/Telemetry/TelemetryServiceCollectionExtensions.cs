using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Digest.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The standard OpenTelemetry variable: set, every signal goes to this OTLP endpoint.</summary>
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Application Insights' standard variable: set, every signal goes to Azure Monitor.</summary>
    public const string AzureMonitorConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary><c>Authorization=AAD</c> (and <c>;ClientId=…</c> for a user-assigned identity): export to Azure Monitor
    /// with a managed identity token instead of the connection string's key, as the Bicep deployment sets it.</summary>
    public const string AzureMonitorAuthenticationSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>Registers <see cref="DigestMetrics"/> (and the meter factory it needs). Every layer whose code
    /// records measurements calls it; without <see cref="AddDigestTelemetry(IServiceCollection, IConfiguration, string)"/>
    /// nobody listens and recording costs next to nothing.</summary>
    public static IServiceCollection AddDigestMetrics(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddMetrics();
        services.TryAddSingleton<DigestMetrics>();
        return services;
    }

    /// <summary>The host's telemetry: see <see cref="AddDigestTelemetry(IServiceCollection, IConfiguration, string)"/>.</summary>
    public static TBuilder AddDigestTelemetry<TBuilder>(this TBuilder builder, string serviceName)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddDigestTelemetry(builder.Configuration, serviceName);
        return builder;
    }

    /// <summary>
    /// OpenTelemetry traces, metrics and logs for a host: the Digest activity source and meter, outgoing HTTP, and the
    /// host's logs. Exported by configuration: to OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the other
    /// standard <c>OTEL_EXPORTER_OTLP_*</c> variables apply), to Azure Monitor when
    /// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, to both when both are, and nowhere otherwise (activities are
    /// still created, so the trace contexts stored on change rows are real). Calling it twice registers once.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">Where the export settings are read (the environment, as a rule).</param>
    /// <param name="serviceName">The OpenTelemetry <c>service.name</c> (the cloud role in Application Insights):
    /// <see cref="ServiceNames"/>. Registered as the <see cref="ServiceIdentity"/> of the process.</param>
    public static IServiceCollection AddDigestTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        if (services.Any(descriptor => descriptor.ServiceType == typeof(TelemetryMarker)))
        {
            return services;
        }

        services.AddSingleton<TelemetryMarker>();
        services.AddDigestMetrics();
        var identity = ServiceIdentity.Of(serviceName);
        services.TryAddSingleton(identity);

        var azureMonitor = AzureMonitorSettings.From(configuration);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceInstanceId: identity.Instance))
            .WithTracing(tracing =>
            {
                tracing.AddSource(DigestTelemetry.Name).AddHttpClientInstrumentation();
                if (azureMonitor is not null)
                {
                    tracing.AddAzureMonitorTraceExporter(azureMonitor.Configure);
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(DigestTelemetry.Name).AddHttpClientInstrumentation();
                if (azureMonitor is not null)
                {
                    metrics.AddAzureMonitorMetricExporter(azureMonitor.Configure);
                }
            })
            .WithLogging(logging =>
            {
                if (azureMonitor is not null)
                {
                    logging.AddAzureMonitorLogExporter(azureMonitor.Configure);
                }
            });

        if (!string.IsNullOrWhiteSpace(configuration[OtlpEndpointSetting]))
        {
            telemetry.UseOtlpExporter();
        }

        return services;
    }

    /// <summary>The <c>service.name</c> of each host.</summary>
    public static class ServiceNames
    {
        public const string Bot = "digest-bot";
        public const string TimerHost = "digest-run";
        public const string CommandLine = "digest-cli";
        public const string FunctionApp = "digest-functions";
    }

    private sealed class TelemetryMarker;

    /// <summary>Where and how to reach Application Insights.</summary>
    private sealed record AzureMonitorSettings(string ConnectionString, TokenCredential? Credential)
    {
        public static AzureMonitorSettings? From(IConfiguration configuration)
        {
            var connectionString = configuration[AzureMonitorConnectionStringSetting];
            return string.IsNullOrWhiteSpace(connectionString)
                ? null
                : new AzureMonitorSettings(connectionString, CredentialFor(configuration[AzureMonitorAuthenticationSetting]));
        }

        public void Configure(AzureMonitorExporterOptions options)
        {
            options.ConnectionString = ConnectionString;
            options.Credential = Credential;
        }

        // "Authorization=AAD;ClientId=<guid>": the documented format of APPLICATIONINSIGHTS_AUTHENTICATION_STRING.
        private static ManagedIdentityCredential? CredentialFor(string? authentication)
        {
            if (string.IsNullOrWhiteSpace(authentication))
            {
                return null;
            }

            var parts = authentication.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(part => part.Split('=', 2, StringSplitOptions.TrimEntries))
                .Where(pair => pair.Length == 2)
                .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.OrdinalIgnoreCase);
            if (!string.Equals(parts.GetValueOrDefault("Authorization"), "AAD", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            return parts.GetValueOrDefault("ClientId") is { Length: > 0 } clientId
                ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
                : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
        }
    }
}
